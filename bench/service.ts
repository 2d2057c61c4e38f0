/** The decorated service the benchmark calls: the same work as the raw responders. */
import 'reflect-metadata';
import { IsString, MinLength } from 'class-validator';
import { Handler, Service, Subscribe } from '../index';

export class HelloRequest { @IsString() @MinLength(1) name!: string }

/** Event counters of the server process; `onDone` fires when `want` events of a kind arrived. */
export const events = { raw: 0, micro: 0, want: 0, onDone: (_kind: 'raw' | 'micro') => {} };

@Service('bench')
export class Bench {
  @Handler() async hello(req: { name: string }) { return { msg: `Hello ${req.name}` }; }
  @Handler() async helloDto(req: HelloRequest) { return { msg: `Hello ${req.name}` }; }
  @Handler() async echo(req: { data: string }) { return req; }
  @Subscribe('bench.micro.events') onEvent() { if (++events.micro === events.want) events.onDone('micro'); }
}
