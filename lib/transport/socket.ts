import type { Message, RecvOptions, Socket } from './index';
import type { Deadlines } from './deadlines';
import { MessageQueue } from './queue';

/** What every socket shares: its ordered backlog, pull (`recv`) and push (`consume`) delivery. */
export abstract class QueuedSocket implements Socket {
  readonly queue: MessageQueue;

  constructor(where: string, private readonly recvTimeout: number, deadlines: Deadlines, maxQueue?: number) {
    this.queue = new MessageQueue(where, deadlines, maxQueue);
  }

  abstract send(m: Message): Promise<void>;
  abstract close(): Promise<void>;
  abstract local(): string;
  abstract remote(): string;

  recv(opts?: RecvOptions): Promise<Message> {
    return this.queue.next(opts?.timeout ?? this.recvTimeout);
  }

  consume(fn: (m: Message) => void, onEnd: () => void): void {
    this.queue.consume(fn, onEnd);
  }
}
