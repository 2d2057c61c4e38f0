/**
 * Runs one command: opens the client, runs the body, prints a failure the way the output mode asks,
 * sets the exit code, and always stops the client (so the process ends without a forced exit).
 */
import type { Command } from 'commander';
import type { App } from 'micro-nats';
import { mergedFlags, openClient, type ConnectionFlags } from './connection';
import { Exit, exitCodeOf, type ExitCode } from './exit';
import { errorJson, errorText, note, outJson } from './output';

/** The flags a command body sees: connection flags, `--json`, and its own. */
export type Flags = ConnectionFlags & { json?: boolean } & Record<string, any>;

/** What a body returns: an exit code other than 0 when it wants one (e.g. health with a failed node). */
export type Body<P> = (app: App, flags: Flags, prepared: P) => Promise<ExitCode | void>;

/** Reports `err` on stderr (and as `{"error":…}` on stdout with `--json`); returns its exit code. */
export function report(err: unknown, json: boolean | undefined): ExitCode {
  if (json) outJson({ error: errorJson(err) });
  note(errorText(err));
  return exitCodeOf(err);
}

/**
 * Runs `body` on a fresh client. `prepare` reads the input first, so bad input fails as usage (exit 1)
 * before any connecting; `nodeAddress` marks commands whose `--address` names a node, not NATS.
 */
export async function run<P = undefined>(cmd: Command, body: Body<P>,
  o: { nodeAddress?: boolean; prepare?: (flags: Flags) => P } = {}): Promise<void> {
  const flags: Flags = mergedFlags(cmd);
  const connection: ConnectionFlags = { ...flags };
  // For call and stream, --address after the command names a node: NATS comes from --server or before the command.
  if (o.nodeAddress) {
    connection.address = cmd.parent?.opts().address;
    flags.address = cmd.opts().address;
  }
  let app: App | undefined;
  let code: ExitCode = Exit.Ok;
  try {
    const prepared = o.prepare ? o.prepare(flags) : (undefined as P);
    app = await openClient(connection);
    code = (await body(app, flags, prepared)) ?? Exit.Ok;
  } catch (err) {
    code = report(err, flags.json);
  } finally {
    await app?.stop().catch(() => undefined);
  }
  process.exitCode = code;
}

/** Resolves on the first SIGINT or SIGTERM (Ctrl-C), so long-running commands end cleanly with exit 0. */
export function untilSignal(): { done: Promise<void>; dispose(): void } {
  let resolve!: () => void;
  const done = new Promise<void>((r) => { resolve = r; });
  const on = () => resolve();
  process.once('SIGINT', on);
  process.once('SIGTERM', on);
  return { done, dispose: () => { process.removeListener('SIGINT', on); process.removeListener('SIGTERM', on); } };
}
