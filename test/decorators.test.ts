import 'reflect-metadata';
import { expect } from 'chai';
import { Container, inject, injectable } from 'inversify';
import { Exclude, Expose, Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, MinLength, ValidateNested } from 'class-validator';
import { Handler, InjectClient, Service, Subscribe } from '../decorators';
import { getServiceMeta, hasServiceMeta, requireServiceMeta, resolveClientTarget, type ServiceMeta } from '../lib/metadata';
import { describeType } from '../lib/schema';
import { TYPES } from '../lib/tokens';

class HelloRequest { @IsString() @MinLength(1) name!: string }
class HelloReply { @IsString() msg!: string }
class UserCreated { @IsInt() id!: number }

function meta(cls: Function): ServiceMeta {
  const m = getServiceMeta(cls);
  expect(m, `${cls.name} has service metadata`).to.not.equal(undefined);
  return m!;
}

/** Runs `define` and returns the message it throws. */
function thrown(define: () => unknown): string {
  try {
    define();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the definition to throw');
}

describe('decorators', () => {
  describe('@Service', () => {
    it('records name, default version and empty metadata from the string form', () => {
      @Service('greeter') class Greeter {}
      const m = meta(Greeter);
      expect(m).to.deep.include({ name: 'greeter', version: 'latest', metadata: {} });
      expect(m.description).to.equal(undefined);
      expect(m.handlers).to.deep.equal([]);
      expect(hasServiceMeta(Greeter)).to.equal(true);
    });

    it('records version, metadata and description from the object form', () => {
      @Service({ name: 'greeter', version: '1.0.0', metadata: { team: 'core' }, description: 'says hello' })
      class Greeter {}
      expect(meta(Greeter)).to.deep.include({ name: 'greeter', version: '1.0.0', metadata: { team: 'core' }, description: 'says hello' });
    });

    for (const bad of ['a.b', '*', 'has space', '', 'greeter>']) {
      it(`rejects the service name ${JSON.stringify(bad)}, naming the class, the name and the rule`, () => {
        const msg = thrown(() => { @Service(bad) class BadName {} return BadName; });
        expect(msg).to.contain('BadName').and.contain(JSON.stringify(bad)).and.contain('^[A-Za-z0-9_-]+$');
      });
    }

    it('rejects a non-string metadata value, naming the key', () => {
      const msg = thrown(() => { @Service({ name: 'x', metadata: { n: 1 as unknown as string } }) class Meta {} return Meta; });
      expect(msg).to.contain('Meta').and.contain('metadata.n');
    });

    it('makes the class injectable: Inversify builds it with constructor injection', () => {
      @Service('greeter') class Greeter { constructor(@inject(TYPES.Config) readonly config: { tag: string }) {} }
      const container = new Container();
      container.bind(TYPES.Config).toConstantValue({ tag: 'cfg' });
      container.bind(Greeter).toSelf().inSingletonScope();
      expect(container.get(Greeter).config.tag).to.equal('cfg');
    });

    it('tolerates a user @injectable() applied first', () => {
      @Service('greeter') @injectable() class Greeter {}
      expect(meta(Greeter).name).to.equal('greeter');
      const container = new Container();
      container.bind(Greeter).toSelf();
      expect(container.get(Greeter)).to.be.instanceOf(Greeter);
    });

    it('rejects a second @Service on one class', () => {
      const msg = thrown(() => { @Service('a') @Service('b') class Twice {} return Twice; });
      expect(msg).to.contain('Twice').and.contain('applied twice');
    });

    it('freezes the recorded metadata', () => {
      @Service('frozen') class Frozen { @Handler() async a() { return 1; } }
      const m = meta(Frozen);
      expect(Object.isFrozen(m) && Object.isFrozen(m.handlers) && Object.isFrozen(m.handlers[0]) && Object.isFrozen(m.metadata)).to.equal(true);
    });

    it('requireServiceMeta names a class without @Service', () => {
      class Plain {}
      expect(() => requireServiceMeta(Plain)).to.throw(/class Plain is not a service.*@Service/);
      expect(getServiceMeta(Plain)).to.equal(undefined);
    });
  });

  describe('@Handler', () => {
    it('defaults the endpoint to ClassName.method and detects the DTO request type', () => {
      @Service('greeter') class Greeter { @Handler() async hello(req: HelloRequest) { return { msg: req.name }; } }
      expect(meta(Greeter).handlers).to.deep.equal([
        { method: 'hello', endpoint: 'Greeter.hello', metadata: {}, requestType: HelloRequest, stream: false, use: [] },
      ]);
    });

    it('takes a custom name from a string or from options with metadata', () => {
      @Service('greeter') class Greeter {
        @Handler('Greeter.Hello') async hello() { return 1; }
        @Handler({ name: 'Greeter.Bye', metadata: { auth: 'none' } }) async bye() { return 2; }
        @Handler({ metadata: { cache: 'yes' } }) async stay() { return 3; }
      }
      const byMethod = Object.fromEntries(meta(Greeter).handlers.map((h) => [h.method, h]));
      expect(byMethod.hello.endpoint).to.equal('Greeter.Hello');
      expect(byMethod.bye).to.deep.include({ endpoint: 'Greeter.Bye', metadata: { auth: 'none' } });
      expect(byMethod.stay).to.deep.include({ endpoint: 'Greeter.stay', metadata: { cache: 'yes' } });
    });

    it('marks async generator methods as streams, and only those', () => {
      @Service('counter') class Counter {
        @Handler() async *count(req: HelloRequest) { yield req.name; }
        @Handler() async once() { return 1; }
        @Handler() *syncGen() { yield 1; }
      }
      const stream = Object.fromEntries(meta(Counter).handlers.map((h) => [h.method, h.stream]));
      expect(stream).to.deep.equal({ count: true, once: false, syncGen: false });
      expect(meta(Counter).handlers[0].requestType).to.equal(HelloRequest);
    });

    it('records no request type for primitives, interfaces, arrays, buffers or a missing parameter', () => {
      interface Shape { a: number }
      @Service('prims') class Prims {
        @Handler() async s(_r: string) { return 1; }
        @Handler() async n(_r: number) { return 1; }
        @Handler() async i(_r: Shape) { return 1; }
        @Handler() async a(_r: string[]) { return 1; }
        @Handler() async u(_r: Uint8Array) { return 1; }
        @Handler() async d(_r: Date) { return 1; }
        @Handler() async none() { return 1; }
      }
      for (const h of meta(Prims).handlers) expect(h.requestType, h.method).to.equal(undefined);
    });

    it('records a class return type of a synchronous method, not Promise, and honours request/response options', () => {
      interface Loose { name: string }
      @Service('types') class Types {
        @Handler() sync(_r: HelloRequest): HelloReply { return new HelloReply(); }
        @Handler() async later(_r: HelloRequest): Promise<HelloReply> { return new HelloReply(); }
        @Handler({ request: HelloRequest, response: HelloReply }) async given(_r: Loose) { return new HelloReply(); }
      }
      const [sync, later, given] = meta(Types).handlers;
      expect(sync.returnType).to.equal(HelloReply);
      expect(later.returnType).to.equal(undefined);
      expect(given).to.deep.include({ requestType: HelloRequest, returnType: HelloReply });
    });

    it('rejects duplicate endpoint names, naming the class and both members', () => {
      const msg = thrown(() => {
        @Service('dup') class Dup { @Handler('Dup.x') async first() { return 1; } @Handler('Dup.x') async second() { return 2; } }
        return Dup;
      });
      expect(msg).to.contain('Dup.first').and.contain('Dup.second').and.contain('"Dup.x"');
    });

    it('rejects a custom name that collides with a default name', () => {
      const msg = thrown(() => {
        @Service('dup') class Clash { @Handler() async hello() { return 1; } @Handler('Clash.hello') async other() { return 2; } }
        return Clash;
      });
      expect(msg).to.contain('Clash.hello').and.contain('Clash.other');
    });

    it('rejects use on a property, naming the class and member', () => {
      const msg = thrown(() => {
        @Service('prop') class Prop {
          // @ts-expect-error: the type forbids it; JavaScript callers get the run-time check
          @Handler() notAMethod = 1;
        }
        return Prop;
      });
      expect(msg).to.contain('@Handler on Prop.notAMethod').and.contain('not a method');
    });

    it('rejects use on a static method and on an accessor', () => {
      expect(thrown(() => { class S { @Handler() static run() { return 1; } } return S; })).to.contain('S.run').and.contain('static');
      expect(thrown(() => { class A { @Handler() get v() { return 1; } } return A; })).to.contain('A.v').and.contain('accessor');
    });

    it('rejects an endpoint name with wildcards or spaces', () => {
      expect(thrown(() => { class W { @Handler('W.*') async a() { return 1; } } return W; })).to.contain('W.a').and.contain('"W.*"');
      expect(thrown(() => { class Sp { @Handler('a b') async a() { return 1; } } return Sp; })).to.contain('Sp.a').and.contain('whitespace');
    });

    it('asks for a name when the method name cannot form an endpoint', () => {
      expect(thrown(() => { class C { @Handler() async ['a b']() { return 1; } } return C; })).to.contain('C.a b').and.contain("@Handler('<Class.Method>')");
    });

    it('rejects @Handler twice on one method', () => {
      expect(thrown(() => { class T { @Handler('T.a') @Handler('T.b') async a() { return 1; } } return T; })).to.contain('T.a').and.contain('twice');
    });
  });

  describe('@Subscribe', () => {
    it('records topic, queue and the event class; one method may take several topics', () => {
      @Service('greeter') class Greeter {
        @Subscribe('user.created', { queue: 'greeter' }) @Subscribe('user.*')
        async onUser(_e: UserCreated) { /* handled */ }
      }
      const subs = [...meta(Greeter).subscribers].sort((a, b) => a.topic.localeCompare(b.topic));
      expect(subs).to.deep.equal([
        { method: 'onUser', topic: 'user.*', requestType: UserCreated, use: [] },
        { method: 'onUser', topic: 'user.created', queue: 'greeter', requestType: UserCreated, use: [] },
      ]);
    });

    it('takes the event class from request, which wins over the declared type; Object means no DTO; a non-class throws', () => {
      class Other { @IsString() id!: string }
      @Service('named-dto') class Named {
        @Subscribe('a', { request: Other }) async a(_e: UserCreated) {}
        @Subscribe('b', { request: Object }) async b(_e: UserCreated) {}
      }
      expect(meta(Named).subscribers.map((s) => s.requestType)).to.deep.equal([Other, undefined]);
      expect(() => { class Bad { @Subscribe('c', { request: 'Other' as never }) async c(_e: unknown) {} } void Bad; })
        .to.throw("@Subscribe on Bad.c: request must be a class, got Other");
    });

    it('accepts wildcard topics', () => {
      @Service('all') class All { @Subscribe('>') async a() {} @Subscribe('orders.*.paid') async b() {} @Subscribe('logs.>') async c() {} }
      expect(meta(All).subscribers.map((s) => s.topic)).to.deep.equal(['>', 'orders.*.paid', 'logs.>']);
    });

    for (const bad of ['', 'has space', 'a..b', '.a', 'a.>.b', 'a*']) {
      it(`rejects the topic ${JSON.stringify(bad)}, naming the class and member`, () => {
        const msg = thrown(() => { class Sub { @Subscribe(bad) async on() {} } return Sub; });
        expect(msg).to.contain('@Subscribe on Sub.on').and.contain(JSON.stringify(bad));
      });
    }

    it('rejects an invalid queue and use on a property', () => {
      expect(thrown(() => { class Q { @Subscribe('a', { queue: 'x y' }) async on() {} } return Q; })).to.contain('Q.on').and.contain('queue');
      // @ts-expect-error: the type forbids it
      expect(thrown(() => { class P { @Subscribe('a') field = 1; } return P; })).to.contain('P.field').and.contain('not a method');
    });
  });

  describe('@InjectClient', () => {
    it('records a client by class and by name, and resolves both to a service name', () => {
      @Service('greeter') class Greeter { @Handler() async hello(_r: HelloRequest) { return 1; } }
      @Service('frontend') class Frontend {
        @InjectClient(Greeter) greeter!: unknown;
        @InjectClient('billing') billing!: unknown;
      }
      const clients = meta(Frontend).clients;
      expect(clients.map((c) => [c.property, c.target])).to.deep.equal([['greeter', Greeter], ['billing', 'billing']]);
      const byClass = resolveClientTarget(clients[0]);
      expect(byClass.name).to.equal('greeter');
      expect(byClass.service).to.equal(meta(Greeter));
      expect(resolveClientTarget(clients[1])).to.deep.equal({ name: 'billing' });
    });

    it('rejects a class without @Service at definition time, naming the class and the property', () => {
      class NotAService {}
      const msg = thrown(() => { @Service('front') class Front { @InjectClient(NotAService) dep!: unknown; } return Front; });
      expect(msg).to.contain('NotAService').and.contain('Front.dep').and.contain('@Service');
    });

    it('defers a self-reference to resolveClientTarget, which names a class left without @Service', () => {
      @Service('loop') class Loop { @InjectClient(Loop) self!: unknown; }
      expect(resolveClientTarget(meta(Loop).clients[0]).name).to.equal('loop');

      class Lonely { @InjectClient(Lonely) self!: unknown; }
      @Service('holder') class Holder extends Lonely {}
      const injection = meta(Holder).clients[0];
      expect(() => resolveClientTarget(injection)).to.throw(/Lonely\.self.*Lonely is not decorated with @Service/);
    });

    it('rejects an invalid service name and an undefined target', () => {
      expect(thrown(() => { class N { @InjectClient('a.b') c!: unknown; } return N; })).to.contain('N.c').and.contain('"a.b"');
      expect(thrown(() => { class U { @InjectClient(undefined as unknown as Function) c!: unknown; } return U; }))
        .to.contain('U.c').and.contain('undefined');
    });
  });

  describe('inheritance', () => {
    it('gives a subclass its parent\'s members under its own name without changing the parent', () => {
      @Service('base') class Base { @Handler() async hello() { return 1; } @Subscribe('base.evt') async on() {} }
      @Service('derived') class Derived extends Base { @Handler() async extra() { return 2; } }
      expect(meta(Base).handlers.map((h) => h.endpoint)).to.deep.equal(['Base.hello']);
      expect(meta(Derived).handlers.map((h) => h.endpoint)).to.deep.equal(['Derived.hello', 'Derived.extra']);
      expect(meta(Derived).subscribers.map((s) => s.topic)).to.deep.equal(['base.evt']);
    });

    it('lets a subclass re-decorate an inherited handler instead of duplicating it', () => {
      @Service('base') class Base2 { @Handler() async hello() { return 1; } }
      @Service('derived') class Derived2 extends Base2 { @Handler('Derived.Hi') override async hello() { return 2; } }
      expect(meta(Derived2).handlers.map((h) => h.endpoint)).to.deep.equal(['Derived.Hi']);
      expect(meta(Base2).handlers.map((h) => h.endpoint)).to.deep.equal(['Base2.hello']);
    });

    it('does not make an undecorated subclass a service', () => {
      @Service('base') class Base3 {}
      class Sub extends Base3 {}
      expect(hasServiceMeta(Sub)).to.equal(false);
    });
  });

  describe('describeType', () => {
    class Address { @IsString() city!: string; @IsOptional() @IsInt() zip?: number }
    class Tag { @IsString() label!: string }
    class User {
      @IsString() name!: string;
      @IsInt() age!: number;
      @ValidateNested() @Type(() => Address) address!: Address;
      @ValidateNested({ each: true }) @Type(() => Tag) tags!: Tag[];
      @IsString({ each: true }) aliases!: string[];
      @Expose({ name: 'is_admin' }) admin!: boolean;
      @Exclude() @IsString() password!: string;
      @Exclude({ toPlainOnly: true }) @IsString() secret!: string;
    }

    it('builds a go-micro Value tree from class-validator and class-transformer metadata', () => {
      const v = describeType(User, { direction: 'response' });
      expect(v).to.deep.equal({
        name: 'User', type: 'User', values: [
          { name: 'name', type: 'string' },
          { name: 'age', type: 'number' },
          { name: 'address', type: 'Address', values: [{ name: 'city', type: 'string' }, { name: 'zip', type: 'number' }] },
          { name: 'tags', type: '[]Tag', values: [{ name: 'label', type: 'string' }] },
          { name: 'aliases', type: 'array' },
          { name: 'is_admin', type: 'boolean' },
        ],
      });
    });

    it('keeps a toPlainOnly exclusion in the request schema', () => {
      const names = describeType(User, { direction: 'request' }).values!.map((x) => x.name);
      expect(names).to.include('secret').and.not.include('password');
    });

    it('stops at a bounded depth on self-referencing classes', () => {
      class Node { @IsString() id!: string; @ValidateNested() @Type(() => Node) next?: Node }
      const v = describeType(Node);
      expect(v.values![1]).to.deep.equal({ name: 'next', type: 'Node' });
    });

    it('names primitive types', () => {
      expect(describeType(String)).to.deep.equal({ name: 'string', type: 'string' });
    });
  });

  it('TYPES holds one registered symbol per component and is read-only', () => {
    expect(TYPES.Transport).to.equal(Symbol.for('micro-nats.Transport'));
    expect(Object.keys(TYPES)).to.deep.equal(['Transport', 'Broker', 'Registry', 'Client', 'Server', 'Codec', 'Selector', 'Config']);
    expect(Object.isFrozen(TYPES)).to.equal(true);
  });
});
