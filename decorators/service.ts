import { injectable } from 'inversify';
import { recordService, SERVICE_NAME_PATTERN, type ServiceInfo } from '../lib/metadata';
import { checkStringRecord, isToken, subjectProblem } from './util';

/** The object form of `@Service`. */
export interface ServiceOptions {
  /** The registry name; letters, digits, `_` and `-` only, as it becomes a NATS subject token. */
  name: string;
  /** Defaults to `'latest'`. */
  version?: string;
  /** Registered with the service (and each node). */
  metadata?: Record<string, string>;
  /** Free text for tooling. */
  description?: string;
  /**
   * How the endpoints are served on the NATS Service API (ADR-32): `group` prefixes their default subjects
   * (default: the service name), `queue` is their queue group (default `q`; `''` for none).
   */
  natsService?: { group?: string; queue?: string };
}

function toInfo(cls: Function, arg: string | ServiceOptions): ServiceInfo {
  const at = `@Service on ${cls.name}`;
  const opts = typeof arg === 'string' ? { name: arg } : arg;
  if (opts === null || typeof opts !== 'object') {
    throw new Error(`${at}: expected a service name or { name, version?, metadata?, description? }, got ${JSON.stringify(arg)}`);
  }
  if (typeof opts.name !== 'string' || !SERVICE_NAME_PATTERN.test(opts.name)) {
    throw new Error(`${at}: ${JSON.stringify(opts.name)} is not a valid service name; use letters, digits, "_" and "-" `
      + `only (${SERVICE_NAME_PATTERN.source}), because the name becomes a NATS subject token`);
  }
  if (opts.version !== undefined && !isToken(opts.version)) {
    throw new Error(`${at}: version ${JSON.stringify(opts.version)} must be a non-empty string without spaces`);
  }
  if (opts.description !== undefined && typeof opts.description !== 'string') {
    throw new Error(`${at}: description must be a string, got ${JSON.stringify(opts.description)}`);
  }
  const metadata = checkStringRecord(at, 'metadata', opts.metadata);
  return { name: opts.name, version: opts.version, metadata, description: opts.description, natsService: natsService(at, opts.natsService) };
}

function natsService(at: string, o: ServiceOptions['natsService']): ServiceInfo['natsService'] {
  if (o === undefined) return undefined;
  if (o === null || typeof o !== 'object') throw new Error(`${at}: natsService must be { group?, queue? }, got ${JSON.stringify(o)}`);
  const problem = o.group === undefined ? undefined : typeof o.group === 'string' ? subjectProblem(o.group, false) : 'it is not a string';
  if (problem) throw new Error(`${at}: natsService.group ${JSON.stringify(o.group)} is invalid: ${problem}`);
  if (o.queue !== undefined && !(o.queue === '' || isToken(o.queue))) {
    throw new Error(`${at}: natsService.queue must be a string without spaces ('' for none), got ${JSON.stringify(o.queue)}`);
  }
  return { group: o.group, queue: o.queue };
}

/** Inversify refuses a second `@injectable()`; a user who already wrote one gets the same result. */
function makeInjectable(cls: Function): void {
  try {
    injectable()(cls);
  } catch (err) {
    if (!/multiple times/.test((err as Error).message)) throw err;
  }
}

/**
 * Declares a class as a service named `name` (`@Service('greeter')` or `@Service({ name, version,
 * metadata, description })`) and makes it injectable by Inversify, so constructor `@inject(...)`
 * works without `@injectable()` (an `@injectable()` written below `@Service` is tolerated; above it,
 * Inversify itself rejects the second application). It only records: bootstrap binds, instantiates
 * and registers.
 * Throws at definition time on an invalid name or two handlers with the same endpoint name.
 */
export function Service(nameOrOptions: string | ServiceOptions): ClassDecorator {
  return (cls) => {
    recordService(cls, toInfo(cls, nameOrOptions));
    makeInjectable(cls);
  };
}
