/**
 * The Registry contract suite: what every Registry must do, as mocha tests. Call it once per implementation
 * with a function that makes a world: registries that see each other (one NATS server and topics, one
 * memory store...). It calls mocha's `describe`/`it` when called (not when imported) and asserts with chai,
 * so both must be available to the test run.
 */
import { expect } from 'chai';
import { MicroError } from '../../errors';
import {
  RegistryNotFoundError, RegistryUnavailableError, type Node, type Registry, type RegistryOptions, type Result, type Service,
  type Watcher,
} from '../../registry';
import { rejection, waitFor } from './wait';

/** Registries that see each other; every one made is closed by the closer the world was created with. */
export interface RegistryWorld {
  /** A new registry of this world with these options. */
  make(opts?: Partial<RegistryOptions>): Registry;
}

/** A service with nodes given as ids (address `addr.<id>`) or partial nodes. */
export function svc(name: string, version: string, nodes: (string | Partial<Node>)[], extra: Partial<Service> = {}): Service {
  return {
    name,
    version,
    metadata: {},
    endpoints: [],
    ...extra,
    nodes: nodes.map((n) => (typeof n === 'string' ? { id: n, address: `addr.${n}`, metadata: {} } : { id: 'x', address: 'addr.x', metadata: {}, ...n })),
  };
}

/** Node ids of a lookup, sorted. */
export function ids(services: readonly Service[]): string[] {
  return services.flatMap((s) => s.nodes.map((n) => n.id)).sort();
}

let seq = 0;
/** A service name of its own for one test. */
export function uniqueName(prefix = 'svc'): string {
  return `${prefix}-${process.pid}-${++seq}`;
}

/** Closes what a test opened, last first. */
export class Closer {
  private readonly items: { close(): Promise<void> | void }[] = [];
  add<T extends { close(): Promise<void> | void }>(x: T): T {
    this.items.push(x);
    return x;
  }
  async closeAll(): Promise<void> {
    for (const x of this.items.splice(0).reverse()) await Promise.resolve(x.close()).catch(() => {});
  }
}

/** Next watch result for `name` (skipping heartbeats of other tests' names). */
async function nextOf(w: Watcher, name: string): Promise<Result> {
  for (;;) {
    const r = await w.next();
    if (r.service.name === name) return r;
  }
}

/** Registers the contract tests for the registries of the worlds `create` makes (one world per test). */
export function registryContract(kind: string, create: (closer: Closer) => RegistryWorld): void {
  describe(`registry contract: ${kind}`, function () {
    const closer = new Closer();
    let world: RegistryWorld;
    let a: Registry;
    let b: Registry;

    beforeEach(() => {
      world = create(closer);
      a = world.make();
      b = world.make();
    });
    afterEach(() => closer.closeAll());

    it(`is named ${kind}`, () => {
      expect(a.toString()).to.equal(kind);
    });

    it('two registrants of one service: getService returns both nodes', async () => {
      const name = uniqueName('greeter');
      await a.register(svc(name, '1.0.0', ['n1']));
      await b.register(svc(name, '1.0.0', ['n2']));
      const found = await a.getService(name);
      expect(found).to.have.length(1);
      expect(found[0].name).to.equal(name);
      expect(found[0].version).to.equal('1.0.0');
      expect(ids(found)).to.deep.equal(['n1', 'n2']);
      expect(ids(await b.getService(name))).to.deep.equal(['n1', 'n2']);
    });

    it('versions merge by name+version and stay apart', async () => {
      const name = uniqueName('greeter');
      await a.register(svc(name, '1.0.0', ['a1']));
      await b.register(svc(name, '1.0.0', ['b1']));
      await b.register(svc(name, '2.0.0', ['b2']));
      const found = await world.make().getService(name);
      expect(found.map((s) => s.version)).to.deep.equal(['1.0.0', '2.0.0']);
      expect(ids([found[0]])).to.deep.equal(['a1', 'b1']);
      expect(ids([found[1]])).to.deep.equal(['b2']);
    });

    it('registering more nodes of a version merges them by id', async () => {
      const name = uniqueName('greeter');
      await a.register(svc(name, '', ['n1']));
      await a.register(svc(name, '', ['n2']));
      await a.register(svc(name, '', [{ id: 'n1', address: 'moved', metadata: {} }]));
      const found = await b.getService(name);
      expect(ids(found)).to.deep.equal(['n1', 'n2']);
      expect(found[0].nodes.find((n) => n.id === 'n1')!.address).to.equal('moved');
    });

    it('keeps metadata, endpoints and their request/response values', async () => {
      const name = uniqueName('greeter');
      const endpoints = [{
        name: 'Greeter.hello',
        request: { name: 'HelloRequest', type: 'HelloRequest', values: [{ name: 'name', type: 'string' }] },
        response: { name: 'HelloResponse', type: 'HelloResponse', values: [{ name: 'msg', type: 'string' }] },
        metadata: { stream: 'false' },
      }];
      await a.register(svc(name, '1.0.0', [{ id: 'n1', address: 'addr.n1', metadata: { protocol: 'mucp' } }], { metadata: { team: 'core' }, endpoints }));
      const [found] = await b.getService(name);
      expect(found.metadata).to.deep.equal({ team: 'core' });
      expect(found.endpoints).to.deep.equal(endpoints);
      expect(found.nodes).to.deep.equal([{ id: 'n1', address: 'addr.n1', metadata: { protocol: 'mucp' } }]);
    });

    it('listServices returns every name and version, sorted', async () => {
      const x = uniqueName('alpha');
      const y = uniqueName('beta');
      await a.register(svc(y, '1', ['y1']));
      await a.register(svc(x, '2', ['x2']));
      await b.register(svc(x, '1', ['x1']));
      const list = await world.make().listServices();
      expect(list.map((s) => `${s.name}@${s.version}`)).to.deep.equal([`${x}@1`, `${x}@2`, `${y}@1`]);
      expect(ids(list)).to.deep.equal(['x1', 'x2', 'y1']);
    });

    it('listServices of an empty registry is []', async () => {
      expect(await a.listServices()).to.deep.equal([]);
    });

    it('getService of a name nobody holds rejects with the not-found error (404), not unavailable', async () => {
      await a.register(svc(uniqueName('other'), '', ['o1']));
      const name = uniqueName('nobody');
      const err = await rejection(b.getService(name));
      expect(err).to.be.instanceOf(RegistryNotFoundError);
      expect(err).to.be.instanceOf(MicroError);
      expect(err).not.to.be.instanceOf(RegistryUnavailableError);
      expect(err.code).to.equal(404);
      expect(err.service).to.equal(name);
    });

    it('watch sees create, update and delete in order', async () => {
      const name = uniqueName('greeter');
      const w = closer.add({ w: await b.watch(), close() { this.w.stop(); } }).w;
      await a.register(svc(name, '1.0.0', ['n1']));
      await a.register(svc(name, '1.0.0', ['n1']));
      await a.deregister(svc(name, '1.0.0', ['n1']));
      const got = [await nextOf(w, name), await nextOf(w, name), await nextOf(w, name)];
      expect(got.map((r) => r.action)).to.deep.equal(['create', 'update', 'delete']);
      for (const r of got) {
        expect(r.service.name).to.equal(name);
        expect(r.service.version).to.equal('1.0.0');
        expect(ids([r.service])).to.deep.equal(['n1']);
      }
    });

    it('watch({ service }) only reports that service', async () => {
      const name = uniqueName('wanted');
      const w = closer.add({ w: await b.watch({ service: name }), close() { this.w.stop(); } }).w;
      await a.register(svc(uniqueName('unwanted'), '', ['u1']));
      await a.register(svc(name, '', ['w1']));
      const r = await w.next();
      expect(r.action).to.equal('create');
      expect(r.service.name).to.equal(name);
    });

    it('a watcher is async iterable and ends on stop(); next() after stop rejects', async () => {
      const name = uniqueName('iter');
      const w = await b.watch({ service: name });
      await a.register(svc(name, '', ['i1']));
      const seen: string[] = [];
      for await (const r of w) {
        seen.push(r.action);
        w.stop();
      }
      expect(seen).to.deep.equal(['create']);
      const err = await rejection(w.next());
      expect(err.name).to.equal('WatcherStoppedError');
    });

    it('leaving a for-await loop over a watcher early stops it', async () => {
      const name = uniqueName('iter');
      const w = await b.watch({ service: name });
      await a.register(svc(name, '', ['i1']));
      for await (const r of w) {
        expect(r.action).to.equal('create');
        break;
      }
      expect((await rejection(w.next())).name).to.equal('WatcherStoppedError');
    });

    it('heartbeats re-announce registered services as update every registerInterval', async () => {
      const name = uniqueName('beating');
      const beating = world.make({ registerInterval: 20 });
      const w = closer.add({ w: await b.watch({ service: name }), close() { this.w.stop(); } }).w;
      await beating.register(svc(name, '', ['h1']));
      expect((await w.next()).action).to.equal('create');
      const beat = await w.next();
      expect(beat.action).to.equal('update');
      expect(ids([beat.service])).to.deep.equal(['h1']);
      expect((await w.next()).action).to.equal('update');
    });

    it('deregister removes the node for real; the last node makes the service not found', async () => {
      const name = uniqueName('greeter');
      await a.register(svc(name, '', ['n1']));
      await b.register(svc(name, '', ['n2']));
      await a.deregister(svc(name, '', ['n1']));
      expect(ids(await b.getService(name))).to.deep.equal(['n2']);
      await b.deregister(svc(name, '', ['n2']));
      expect(await rejection(a.getService(name))).to.be.instanceOf(RegistryNotFoundError);
      // and stays removed (go-micro v2/v3 re-added it on deregister, micro/go-micro#2293)
      await a.register(svc(uniqueName('other'), '', ['o1']));
      expect(await rejection(a.getService(name))).to.be.instanceOf(RegistryNotFoundError);
    });

    it('deregister without nodes removes every node of that version only', async () => {
      const name = uniqueName('greeter');
      await a.register(svc(name, '1', ['n1', 'n2']));
      await a.register(svc(name, '2', ['n3']));
      await a.deregister(svc(name, '1', []));
      const found = await b.getService(name);
      expect(found.map((s) => s.version)).to.deep.equal(['2']);
    });

    it('a registrant that closes without deregistering vanishes from fresh queries', async () => {
      const name = uniqueName('crashy');
      const c = world.make();
      await c.register(svc(name, '', ['dead']));
      await a.register(svc(name, '', ['alive']));
      expect(ids(await b.getService(name))).to.deep.equal(['alive', 'dead']);
      await c.close();
      expect(ids(await b.getService(name))).to.deep.equal(['alive']);
    });

    it('results are copies: mutating one does not change the registry', async () => {
      const name = uniqueName('copy');
      await a.register(svc(name, '', ['n1']));
      const first = await b.getService(name);
      first[0].nodes.push({ id: 'bogus', address: 'x', metadata: {} });
      first[0].metadata.x = 'y';
      const again = await b.getService(name);
      expect(ids(again)).to.deep.equal(['n1']);
      expect(again[0].metadata).to.deep.equal({});
    });

    it('accepts go-micro style dotted names at register', async () => {
      await a.register(svc('go.micro.srv.contract', '', ['d1']));
      expect(ids(await b.getService('go.micro.srv.contract'))).to.include('d1');
      await a.deregister(svc('go.micro.srv.contract', '', ['d1']));
    });

    describe('bad input', () => {
      for (const bad of ['', 'has space', 'wild*', 'tail>', 'a..b', '.lead', 'trail.', 'tab\there']) {
        it(`rejects the service name ${JSON.stringify(bad)} with 400`, async () => {
          const err = await rejection(a.register(svc(bad, '', ['n1'])));
          expect(err).to.be.instanceOf(MicroError);
          expect(err.code).to.equal(400);
          expect(err.detail).to.match(/invalid service name/);
        });
      }

      it('rejects a service without nodes, a node without id or address, non-string metadata (400)', async () => {
        const name = uniqueName('bad');
        const cases = [
          svc(name, '', []),
          svc(name, '', [{ id: '', address: 'a' }]),
          svc(name, '', [{ id: 'n', address: '' }]),
          svc(name, '', ['n'], { metadata: { n: 1 as unknown as string } }),
          svc(name, '', [{ id: 'n', address: 'a', metadata: { x: null as unknown as string } }]),
          svc(name, '', ['n', 'n']),
          { ...svc(name, '', ['n']), version: 3 as unknown as string },
        ];
        for (const s of cases) {
          const err = await rejection(a.register(s));
          expect(err, JSON.stringify(s)).to.be.instanceOf(MicroError);
          expect(err.code, JSON.stringify(s)).to.equal(400);
        }
      });

      it('rejects oversized metadata with 413 and keeps answering', async () => {
        const name = uniqueName('big');
        await a.register(svc(name, '', ['ok']));
        const err = await rejection(a.register(svc(name, '', ['huge'], { metadata: { blob: 'x'.repeat(1_100_000) } })));
        expect(err).to.be.instanceOf(MicroError);
        expect(err.code).to.equal(413);
        expect(err.detail).to.match(/max_payload/);
        expect(ids(await b.getService(name))).to.deep.equal(['ok']);
      });

      it('rejects an empty lookup name with 400', async () => {
        expect((await rejection(a.getService(''))).code).to.equal(400);
      });
    });

    it('after close(), calls reject with 503 (unavailable), close is idempotent', async () => {
      const c = world.make();
      await c.close();
      await c.close();
      for (const p of [c.getService('x'), c.register(svc('x', '', ['n'])), c.watch(), c.listServices()]) {
        const err = await rejection(p);
        expect(err).to.be.instanceOf(RegistryUnavailableError);
        expect(err.code).to.equal(503);
      }
    });

    it('close() stops the watchers it created', async () => {
      const c = world.make();
      const w = await c.watch();
      const pending = rejection(w.next());
      await c.close();
      expect((await pending).name).to.equal('WatcherStoppedError');
    });

    it('validates options, naming the option', () => {
      expect(() => world.make({ timeout: -1 })).to.throw(/timeout/);
      expect(() => a.init({ registerInterval: Number.NaN })).to.throw(/registerInterval/);
      a.init({ timeout: 50 });
      expect(a.options().timeout).to.equal(50);
    });

    it('sees registrations made after a lookup missed (no stale negative answers)', async () => {
      const name = uniqueName('late');
      expect(await rejection(b.getService(name))).to.be.instanceOf(RegistryNotFoundError);
      await a.register(svc(name, '', ['l1']));
      await waitFor(async () => ids(await b.getService(name).catch(() => [])).includes('l1'), 'the late registration');
      expect(ids(await b.getService(name))).to.deep.equal(['l1']);
    });
  });
}
