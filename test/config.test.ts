import { expect } from 'chai';
import { resolveConfig, type Config, type ConfigInput } from '../lib/config';

/** Resolves with no ambient flags or environment unless the test gives some. */
function resolve(input: ConfigInput = {}): Config {
  return resolveConfig({ argv: [], env: {}, ...input });
}

function errorOf(input: ConfigInput): string {
  try {
    resolve(input);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected resolveConfig to throw');
}

/** One row per go-micro flag: a textual value and what it must change in the resolved config. */
const FLAG_CASES: ReadonlyArray<{ flag: string; raw: string; read: (c: Config) => unknown; expected: unknown }> = [
  { flag: 'transport', raw: 'memory', read: (c) => c.transport, expected: 'memory' },
  { flag: 'broker', raw: 'memory', read: (c) => c.broker, expected: 'memory' },
  { flag: 'registry', raw: 'memory', read: (c) => c.registry, expected: 'memory' },
  { flag: 'transport_address', raw: 'nats://t:1', read: (c) => c.transportAddress, expected: ['nats://t:1'] },
  { flag: 'broker_address', raw: 'b:2', read: (c) => c.brokerAddress, expected: ['nats://b:2'] },
  { flag: 'registry_address', raw: 'tls://r:3', read: (c) => c.registryAddress, expected: ['tls://r:3'] },
  { flag: 'server_name', raw: 'greeter', read: (c) => c.server.name, expected: 'greeter' },
  { flag: 'server_version', raw: '2.0.0', read: (c) => c.server.version, expected: '2.0.0' },
  { flag: 'server_id', raw: 'node-7', read: (c) => c.server.id, expected: 'node-7' },
  { flag: 'server_address', raw: 'svc.inbox', read: (c) => c.server.address, expected: 'svc.inbox' },
  { flag: 'server_metadata', raw: 'team=core', read: (c) => c.server.metadata, expected: { team: 'core' } },
  { flag: 'server_max_inflight', raw: '64', read: (c) => c.server.maxInflight, expected: 64 },
  { flag: 'register_ttl', raw: '90', read: (c) => c.registerTtl, expected: 90_000 },
  { flag: 'register_interval', raw: '10', read: (c) => c.registerInterval, expected: 10_000 },
  { flag: 'registry_timeout', raw: '1s', read: (c) => c.registryTimeout, expected: 1_000 },
  { flag: 'client_request_timeout', raw: '750ms', read: (c) => c.client.timeout, expected: 750 },
  { flag: 'client_retries', raw: '3', read: (c) => c.client.retries, expected: 3 },
  { flag: 'selector', raw: 'roundrobin', read: (c) => c.client.selector, expected: 'roundRobin' },
  { flag: 'registry_subjects', raw: 'micro.nats, acme.reg', read: (c) => c.registrySubjects, expected: ['micro.nats', 'acme.reg'] },
  { flag: 'address', raw: 'n:4', read: (c) => [c.transportAddress, c.brokerAddress, c.registryAddress], expected: [['nats://n:4'], ['nats://n:4'], ['nats://n:4']] },
  { flag: 'log_level', raw: 'DEBUG', read: (c) => c.logLevel, expected: 'debug' },
  { flag: 'connect_timeout', raw: '2s', read: (c) => c.connectTimeout, expected: 2_000 },
];

describe('config', () => {
  it('registry subjects: both go-micro pairs by default; a list in code; wildcards and empty lists refused', () => {
    expect(resolve().registrySubjects).to.deep.equal(['micro.registry.nats', 'micro.nats']);
    expect(resolve({ registrySubjects: ['micro.registry.nats'] }).registrySubjects).to.deep.equal(['micro.registry.nats']);
    expect(errorOf({ registrySubjects: [] })).to.match(/registrySubjects/);
    expect(errorOf({ registrySubjects: ['a.*'] })).to.match(/registrySubjects/);
    expect(errorOf({ env: { MICRO_REGISTRY_SUBJECTS: ' , ' } })).to.match(/MICRO_REGISTRY_SUBJECTS/);
  });

  it('fills every value with the defaults', () => {
    const c = resolve();
    expect(c).to.deep.include({
      transport: 'nats', broker: 'nats', registry: 'nats',
      transportAddress: ['nats://127.0.0.1:4222'], brokerAddress: ['nats://127.0.0.1:4222'], registryAddress: ['nats://127.0.0.1:4222'],
      registerTtl: 60_000, registerInterval: 30_000, registryTimeout: 100,
      client: { timeout: 5_000, retries: 1, selector: 'random' },
    });
    expect(c.server).to.deep.include({ address: '', metadata: {}, maxInflight: 16_384 });
    expect(c.server.id).to.match(/^[0-9a-f-]{36}$/);
    expect(c.server.name).to.equal(undefined);
    expect(resolve().server.id).to.not.equal(c.server.id);
  });

  it('returns a frozen config', () => {
    const c = resolve();
    expect(Object.isFrozen(c) && Object.isFrozen(c.client) && Object.isFrozen(c.server.metadata) && Object.isFrozen(c.transportAddress)).to.equal(true);
  });

  describe('each flag changes what it names', () => {
    for (const { flag, raw, read, expected } of FLAG_CASES) {
      it(`--${flag}=${raw} and --${flag} ${raw}`, () => {
        expect(read(resolve()), 'default differs').to.not.deep.equal(expected);
        expect(read(resolve({ argv: [`--${flag}=${raw}`] }))).to.deep.equal(expected);
        expect(read(resolve({ argv: ['serve', `--${flag}`, raw, '--other'] }))).to.deep.equal(expected);
      });
    }
  });

  describe('each MICRO_* variable changes what it names', () => {
    for (const { flag, raw, read, expected } of FLAG_CASES) {
      const name = `MICRO_${flag.toUpperCase()}`;
      it(`${name}=${raw}`, () => {
        expect(read(resolve({ env: { [name]: raw } }))).to.deep.equal(expected);
      });
    }
  });

  describe('precedence: defaults < code < env < flags', () => {
    it('applies to names, numbers and durations alike', () => {
      const code: ConfigInput = { registry: 'memory', registerTtl: 20_000, client: { timeout: 1_000, retries: 0 } };
      expect(resolve(code)).to.deep.include({ registry: 'memory', registerTtl: 20_000 });
      expect(resolve(code).client).to.deep.include({ timeout: 1_000, retries: 0 });

      const env = { MICRO_REGISTRY: 'nats', MICRO_REGISTER_TTL: '40', MICRO_CLIENT_REQUEST_TIMEOUT: '2s' };
      expect(resolve({ ...code, env })).to.deep.include({ registry: 'nats', registerTtl: 40_000 });
      expect(resolve({ ...code, env }).client.timeout).to.equal(2_000);

      const argv = ['--registry=memory', '--register_ttl=80', '--client_request_timeout=3s'];
      expect(resolve({ ...code, env, argv })).to.deep.include({ registry: 'memory', registerTtl: 80_000 });
      expect(resolve({ ...code, env, argv }).client).to.deep.include({ timeout: 3_000, retries: 0 });
    });

    it('lets the last of a repeated flag win', () => {
      expect(resolve({ argv: ['--selector=random', '--selector', 'roundRobin'] }).client.selector).to.equal('roundRobin');
    });

    it('merges server metadata key by key across layers', () => {
      const c = resolve({
        server: { metadata: { a: 'code', b: 'code', c: 'code' } },
        env: { MICRO_SERVER_METADATA: 'b=env,c=env' },
        argv: ['--server_metadata', 'c=flag'],
      });
      expect(c.server.metadata).to.deep.equal({ a: 'code', b: 'env', c: 'flag' });
    });
  });

  describe('one address for all three, NATS_URL, look-alike flags', () => {
    const all = (c: Config) => [c.transportAddress[0], c.brokerAddress[0], c.registryAddress[0]];
    it('a per-component address wins over --address / MICRO_ADDRESS in the same layer, in any order', () => {
      expect(all(resolve({ argv: ['--transport_address=t:1', '--address=a:2'] }))).to.deep.equal(['nats://t:1', 'nats://a:2', 'nats://a:2']);
      expect(all(resolve({ argv: ['--address=a:2', '--registry_address=r:3'] }))).to.deep.equal(['nats://a:2', 'nats://a:2', 'nats://r:3']);
      expect(all(resolve({ env: { MICRO_ADDRESS: 'a:2', MICRO_BROKER_ADDRESS: 'b:4' } }))).to.deep.equal(['nats://a:2', 'nats://b:4', 'nats://a:2']);
    });

    it('NATS_URL is read as the NATS CLI does, below MICRO_* and flags, above code', () => {
      expect(all(resolve({ address: 'c:1', env: { NATS_URL: 'nats://e:2' } }))).to.deep.equal(['nats://e:2', 'nats://e:2', 'nats://e:2']);
      expect(all(resolve({ env: { NATS_URL: 'e:2', MICRO_ADDRESS: 'm:3' } }))).to.deep.equal(['nats://m:3', 'nats://m:3', 'nats://m:3']);
      expect(all(resolve({ env: { NATS_URL: 'e:2', MICRO_TRANSPORT_ADDRESS: 't:5' } }))).to.deep.equal(['nats://t:5', 'nats://e:2', 'nats://e:2']);
      expect(all(resolve({ env: { NATS_URL: 'e:2' }, argv: ['--address', 'f:6'] }))).to.deep.equal(['nats://f:6', 'nats://f:6', 'nats://f:6']);
      expect(errorOf({ env: { NATS_URL: 'http://x' } })).to.match(/^NATS_URL: /);
    });

    it('a flag close to ours or with our prefix is refused naming it; other flags are the application\'s', () => {
      expect(errorOf({ argv: ['--selektor=random'] })).to.equal('--selektor: unknown flag; did you mean --selector? (--help lists them)');
      expect(errorOf({ argv: ['--adress', 'n:1'] })).to.contain('did you mean --address?');
      expect(errorOf({ argv: ['--client_timeout=5s'] })).to.equal('--client_timeout: unknown flag; it is not a micro-nats flag (--help lists them)');
      expect(errorOf({ argv: ['--registry_ttl=5'] })).to.contain('--registry_ttl: unknown flag');
      expect(() => resolve({ argv: ['--port=80', '--verbose', '--config', 'x.json', '--', '--selektor'] })).to.not.throw();
    });

    it('connect_timeout 0 means one attempt; a negative connectTimeout is refused', () => {
      expect(resolve({ argv: ['--connect_timeout=0'] }).connectTimeout).to.equal(0);
      expect(resolve().connectTimeout).to.equal(30_000);
      expect(errorOf({ connectTimeout: -1 })).to.match(/^connectTimeout: /);
      expect(errorOf({ env: { MICRO_LOG_LEVEL: 'loud' } })).to.match(/^MICRO_LOG_LEVEL: "loud" is not one of trace, debug/);
    });
  });

  describe('addresses', () => {
    it('splits comma-separated servers and adds nats://', () => {
      expect(resolve({ argv: ['--transport_address=nats://a:1,nats://b:2'] }).transportAddress).to.deep.equal(['nats://a:1', 'nats://b:2']);
      expect(resolve({ env: { MICRO_REGISTRY_ADDRESS: 'a:1, b:2' } }).registryAddress).to.deep.equal(['nats://a:1', 'nats://b:2']);
    });

    it('uses `address` for all three unless a component has its own', () => {
      const c = resolve({ address: ['x:1', 'y:2'], brokerAddress: 'z:3' });
      expect(c.transportAddress).to.deep.equal(['nats://x:1', 'nats://y:2']);
      expect(c.registryAddress).to.deep.equal(['nats://x:1', 'nats://y:2']);
      expect(c.brokerAddress).to.deep.equal(['nats://z:3']);
    });

    it('lets the environment override a code address for one component only', () => {
      const c = resolve({ address: 'x:1', env: { MICRO_BROKER_ADDRESS: 'e:9' } });
      expect(c.brokerAddress).to.deep.equal(['nats://e:9']);
      expect(c.transportAddress).to.deep.equal(['nats://x:1']);
    });
  });

  describe('values', () => {
    it('accumulates repeated --server_metadata, keeping "=" inside values', () => {
      const c = resolve({ argv: ['--server_metadata=team=core', '--server_metadata', 'region=eu', '--server_metadata=q=a=b'] });
      expect(c.server.metadata).to.deep.equal({ team: 'core', region: 'eu', q: 'a=b' });
    });

    it('reads Go durations for --client_request_timeout', () => {
      const timeout = (raw: string) => resolve({ argv: [`--client_request_timeout=${raw}`] }).client.timeout;
      expect([timeout('500ms'), timeout('5s'), timeout('1m30s'), timeout('1.5s'), timeout('250us'), timeout('1h')])
        .to.deep.equal([500, 5_000, 90_000, 1_500, 0.25, 3_600_000]);
    });

    it('passes component instances through untouched, unless a flag names a component', () => {
      const registry = { custom: true };
      expect(resolve({ registry }).registry).to.equal(registry);
      expect(resolve({ registry, argv: ['--registry=memory'] }).registry).to.equal('memory');
    });

    it('halves a short TTL for the default heartbeat interval', () => {
      expect(resolve({ argv: ['--register_ttl=10'] }).registerInterval).to.equal(5_000);
    });

    it('treats an empty variable as unset and ignores other flags and anything after --', () => {
      const c = resolve({
        env: { MICRO_REGISTRY: '', MICRO_SELECTOR: '  ' },
        argv: ['--port=8080', '--verbose', '--name', 'x', '--', '--registry=memory'],
      });
      expect(c.registry).to.equal('nats');
      expect(c.client.selector).to.equal('random');
    });
  });

  describe('invalid values name the flag, variable or option and the accepted forms', () => {
    const cases: ReadonlyArray<[string, ConfigInput, RegExp]> = [
      ['unknown registry flag', { argv: ['--registry=consul'] }, /^--registry: "consul" is not one of nats, memory/],
      ['unknown transport variable', { env: { MICRO_TRANSPORT: 'http' } }, /^MICRO_TRANSPORT: "http" is not one of nats, memory/],
      ['non-integer TTL variable', { env: { MICRO_REGISTER_TTL: 'abc' } }, /^MICRO_REGISTER_TTL: "abc" is not a whole number of seconds/],
      ['fractional interval flag', { argv: ['--register_interval=1.5'] }, /^--register_interval: "1.5" is not a whole number of seconds/],
      ['zero TTL', { argv: ['--register_ttl=0'] }, /^--register_ttl: "0" is not a whole number of seconds greater than 0/],
      ['bare-number timeout', { argv: ['--client_request_timeout=5'] }, /^--client_request_timeout: "5" is not a duration .*500ms, 5s/],
      ['unknown duration unit', { env: { MICRO_CLIENT_REQUEST_TIMEOUT: '5d' } }, /^MICRO_CLIENT_REQUEST_TIMEOUT: "5d" is not a duration/],
      ['negative retries', { argv: ['--client_retries=-1'] }, /^--client_retries: "-1" is not a whole number >= 0/],
      ['unknown selector', { argv: ['--selector=sticky'] }, /^--selector: "sticky" is not one of random, roundRobin/],
      ['invalid server name', { argv: ['--server_name=a.b'] }, /^--server_name: "a.b" is not a service name/],
      ['metadata without "="', { argv: ['--server_metadata=team'] }, /^--server_metadata: "team" is not a key=value pair/],
      ['zero in-flight limit', { argv: ['--server_max_inflight=0'] }, /^--server_max_inflight: "0" is not a whole number >= 1/],
      ['zero in-flight limit in code', { server: { maxInflight: 0 } }, /^server\.maxInflight: 0 is not a whole number >= 1/],
      ['metadata variable without key', { env: { MICRO_SERVER_METADATA: 'a=1,=2' } }, /^MICRO_SERVER_METADATA: "=2" is not a key=value pair/],
      ['address with a path', { argv: ['--broker_address=nats://a:1/x'] }, /^--broker_address: "nats:\/\/a:1\/x" is not a NATS address/],
      ['empty address', { argv: ['--broker_address='] }, /^--broker_address: "" is not a NATS address list/],
      ['flag without value', { argv: ['--registry'] }, /^--registry: missing value/],
      ['flag followed by a flag', { argv: ['--registry', '--selector=random'] }, /^--registry: missing value/],
      ['unknown registry in code', { registry: 'consul' as 'nats' }, /^registry: "consul" is not one of nats, memory or an instance/],
      ['negative timeout in code', { client: { timeout: -1 } }, /^client\.timeout: -1 is not a number of milliseconds greater than 0/],
      ['fractional retries in code', { client: { retries: 1.5 } }, /^client\.retries: 1\.5 is not a whole number >= 0/],
      ['unknown selector in code', { client: { selector: 'sticky' as 'random' } }, /^client\.selector: "sticky" is not one of random, roundRobin/],
      ['invalid server name in code', { server: { name: 'has space' } }, /^server\.name: "has space" is not a service name/],
      ['non-string metadata in code', { server: { metadata: { n: 1 as unknown as string } } }, /^server\.metadata\.n: 1 is not a string/],
      ['address of the wrong type in code', { address: 42 as unknown as string }, /^address: 42 is not a NATS address/],
      ['interval not shorter than TTL', { argv: ['--register_ttl=10', '--register_interval=10'] },
        /^--register_interval: the register interval \(10000 ms\) must be shorter than the register TTL \(10000 ms, from --register_ttl\)/],
      ['interval in code above the default TTL', { registerInterval: 90_000 }, /^registerInterval: .*from default/],
    ];
    for (const [what, input, pattern] of cases) {
      it(what, () => expect(errorOf(input)).to.match(pattern));
    }
  });
});
