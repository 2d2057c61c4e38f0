/**
 * The NATS Service API (ADR-32, `micro` in nats.go, `@nats-io/services` in nats.js): its subjects, reply
 * types, headers, and how micro-nats names map onto it. The one place these names and encodings live.
 */
import { MicroError } from '../errors';
import { Header } from '../protocol/mucp';

/** Default prefix of the control subjects (`$SRV.PING`, `$SRV.INFO.<name>`, `$SRV.STATS.<name>.<id>`). */
export { DEFAULT_ADR32_PREFIX as DEFAULT_PREFIX } from '../config/defaults';
/** Default queue group of endpoint subscriptions. */
export const DEFAULT_QUEUE = 'q';
/** The control verbs. */
export const VERBS = ['PING', 'INFO', 'STATS'] as const;
export type Verb = (typeof VERBS)[number];

/** `type` of each reply. */
export const RESPONSE_TYPE = {
  PING: 'io.nats.micro.v1.ping_response',
  INFO: 'io.nats.micro.v1.info_response',
  STATS: 'io.nats.micro.v1.stats_response',
} as const;

/** Headers of an error reply: the description and the numeric code. */
export const ERROR_HEADER = 'Nats-Service-Error';
export const ERROR_CODE_HEADER = 'Nats-Service-Error-Code';

/** Metadata keys micro-nats adds so that nothing is lost in the mapping. */
export const META = {
  /** Service metadata: the original version when it is not SemVer (`latest`). */
  version: 'micro.version',
  /** Endpoint metadata: the micro-nats endpoint name (`Greeter.hello`) behind the ADR-32 name (`Greeter_hello`). */
  endpoint: 'micro.endpoint',
  /** Endpoint metadata: the request and response schemas, as the registry's `Value` in JSON. */
  request: 'micro.request',
  response: 'micro.response',
  /** Endpoint metadata in discovered records: the subject to send requests to. */
  subject: 'subject',
} as const;

/** The SemVer 2.0 pattern the NATS CLI's schemas require of `version`. */
export const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** ADR-32 names (services and endpoints). */
export const NAME = /^[a-zA-Z0-9_-]+$/;

/** The control subject of a verb, for every service, one name, or one instance. */
export function controlSubject(prefix: string, verb: Verb, name?: string, id?: string): string {
  return name === undefined ? `${prefix}.${verb}` : id === undefined ? `${prefix}.${verb}.${name}` : `${prefix}.${verb}.${name}.${id}`;
}

/**
 * The version to report and the metadata to add: a SemVer version as is; anything else (the default
 * `latest`) as `0.0.0`, the original kept under `micro.version`.
 */
export function reportedVersion(version: string): { version: string; metadata: Record<string, string> } {
  return SEMVER.test(version) ? { version, metadata: {} } : { version: '0.0.0', metadata: { [META.version]: version } };
}

/** The version a discovered service is registered under: the one `micro.version` kept, else the reported one. */
export function originalVersion(version: string, metadata: Record<string, string> | null | undefined): string {
  return metadata?.[META.version] ?? version;
}

/** An ADR-32 endpoint name for a micro-nats endpoint name: every character outside `[A-Za-z0-9_-]` becomes `_`. */
export function endpointName(endpoint: string): string {
  return endpoint.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** The default subject of an endpoint: `<group>.<endpoint>` (`greeter.Greeter.hello`; dots split subject tokens). */
export function defaultSubject(group: string, endpoint: string): string {
  return `${group}.${endpoint}`;
}

/** The headers of an error reply: ADR-32's pair, and `Micro-Error` for micro-nats and go-micro callers. */
export function errorHeaders(err: MicroError): Record<string, string> {
  return {
    [ERROR_HEADER]: oneLine(err.detail),
    [ERROR_CODE_HEADER]: String(err.code),
    [Header.Error]: JSON.stringify(err),
  };
}

/** The MicroError of a reply's headers: `Micro-Error` when present, else ADR-32's pair; undefined when neither is. */
export function errorOf(header: Record<string, string>, service: string): MicroError | undefined {
  const micro = header[Header.Error];
  if (micro) return MicroError.parse(micro, service);
  const text = header[ERROR_HEADER];
  const code = header[ERROR_CODE_HEADER];
  if (text === undefined && code === undefined) return undefined;
  const n = Number(code);
  return new MicroError(service, Number.isInteger(n) && n > 0 ? n : 500, text ?? '');
}

/** A header value cannot carry line breaks. */
const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');
