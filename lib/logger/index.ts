/**
 * The logger contract: pino's shape, so a pino logger (or anything pino-compatible) is passed as is.
 * Each level takes `(obj, msg?)`, where `obj` carries structured fields (`err` for an error, whose stack
 * is printed), or `(msg)` alone. The built-in implementation is `console.ts`.
 */

/** Levels, least to most severe; `silent` logs nothing. */
export const LOG_LEVELS = Object.freeze(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const);

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One level's method: `(fields, message?)` or `(message)`. Must not throw. */
export interface LogFn {
  (obj: object, msg?: string): void;
  (msg: string): void;
}

/** Where micro-nats writes what it does: start, registration, NATS connection changes, stop, failures. */
export interface Logger {
  /** Very detailed tracing; off by default. */
  trace: LogFn;
  /** Detail for diagnosis: client errors (4xx) of handlers with their stack. */
  debug: LogFn;
  /** What a service does: started, registered, NATS reconnected, stopped. */
  info: LogFn;
  /** Trouble that may pass: NATS disconnected, still waiting for NATS. */
  warn: LogFn;
  /** Failures: handler bugs (5xx) with their stack, subscribers that threw. */
  error: LogFn;
  /** The process cannot go on. */
  fatal: LogFn;
}

/** A logger that drops everything. */
export const silentLogger: Logger = Object.freeze({ trace: noop, debug: noop, info: noop, warn: noop, error: noop, fatal: noop });

function noop(): void { /* silent */ }
