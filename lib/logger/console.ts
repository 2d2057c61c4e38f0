/**
 * The built-in logger: one JSON line per record on stderr (or a stream given), pino's field names
 * (`level`, `time`, `msg`, then the fields; an `err` becomes `{ type, message, code, stack }`), so the
 * same log tools read both. Records below the level are dropped before anything is built.
 */
import { LOG_LEVELS, type LogFn, type Logger, type LogLevel } from './index';

/** Options of {@link consoleLogger}. */
export interface ConsoleLoggerOptions {
  /** Records below this level are dropped. Default `info`. */
  level?: LogLevel;
  /** Where lines are written. Default `process.stderr`. */
  stream?: { write(line: string): unknown };
}

/** pino's numeric levels, so `level` fields compare the same. */
const NUMBER: Readonly<Record<LogLevel, number>> = Object.freeze({ trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity });

/** A logger writing JSON lines at `level` and above. */
export function consoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const min = NUMBER[options.level ?? 'info'];
  const stream = options.stream ?? process.stderr;
  const at = (level: LogLevel): LogFn => {
    if (NUMBER[level] < min) return () => {};
    return (objOrMsg: object | string, msg?: string) => {
      const fields = typeof objOrMsg === 'string' ? {} : objOrMsg;
      const text = typeof objOrMsg === 'string' ? objOrMsg : msg;
      try {
        stream.write(`${JSON.stringify({ level: NUMBER[level], time: Date.now(), ...(text !== undefined && { msg: text }), ...fields }, replacer)}\n`);
      } catch { /* a log line is never worth a failure */ }
    };
  };
  const levels = LOG_LEVELS.filter((l): l is Exclude<LogLevel, 'silent'> => l !== 'silent');
  return Object.freeze(Object.fromEntries(levels.map((l) => [l, at(l)])) as unknown as Logger);
}

/** Errors print their type, message, code and stack (JSON.stringify would print `{}`). */
function replacer(_key: string, value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const code = (value as { code?: unknown }).code;
  return { type: value.name, message: value.message, ...(code !== undefined && { code }), stack: value.stack };
}
