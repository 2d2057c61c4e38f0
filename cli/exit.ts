/**
 * Exit codes of the `micro-nats` command, and how an error maps to one. Scripts rely on these numbers:
 * they are listed in `--help` and the README and never change meaning.
 */
import { Codes, MicroError, RegistryUnavailableError } from 'micro-nats';

/** What each exit code means. */
export const Exit = {
  Ok: 0,
  /** Bad usage or input: unknown flag, missing argument, invalid JSON, unreadable file. */
  Usage: 1,
  /** The service answered with a 4xx error other than 408 (bad request, not found, conflict, ...). */
  ClientError: 2,
  /** A 5xx error: the service failed, has no node (503), or a node is unhealthy. */
  ServerError: 3,
  /** The call or stream timed out (408). */
  Timeout: 4,
  /** No connection to NATS at the address given: nothing answers, it timed out, or it refused the credentials. */
  Unreachable: 5,
  /** Nothing on the bus answers what the command needs (`stats` without NATS Service API responders). */
  Unsupported: 6,
} as const;

export type ExitCode = (typeof Exit)[keyof typeof Exit];

/** The exit-code table as `--help` prints it. */
export const EXIT_HELP = `Exit codes:
  0  ok
  1  usage or input error (bad flag, invalid JSON, unreadable file)
  2  the service answered a 4xx error (400 bad request, 404 not found, 409 conflict, ...)
  3  a 5xx error: the service failed, no node is running (503), or a node is unhealthy
  4  timeout (408)
  5  cannot connect to NATS at the address given (unreachable, timed out, credentials refused)
  6  unsupported: nothing answers (stats needs services that speak the NATS Service API)`;

/** An error the command raises itself, with the exit code it ends with and, when useful, what to do. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: ExitCode, readonly hint?: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** The exit code of anything a command threw. Classified by type and code, never by message text. */
export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof RegistryUnavailableError) return Exit.Unreachable;
  if (err instanceof MicroError) {
    if (err.code === Codes.Timeout) return Exit.Timeout;
    if (err.code >= 400 && err.code < 500) return Exit.ClientError;
    return Exit.ServerError;
  }
  return Exit.ServerError;
}
