import { DEFAULT_NATS_URL } from '../config/defaults';
import { ConfigError } from '../errors';

export { DEFAULT_NATS_URL };

/** `scheme://userinfo@` in any text: what {@link redact} hides. */
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^\s/]*@/gi;

/**
 * Hides the credentials of every URL in `text` (`nats://user:pass@h` -> `nats://***@h`). Every message and
 * log line that may hold a server address goes through this one function.
 */
export function redact(text: string): string {
  return text.replace(USERINFO, '$1***@');
}

/** Normalises NATS server addresses: a string (comma-separated allowed) or a list; `nats://` added where missing. */
export function parseServers(input: string | readonly string[] | undefined, optionName = 'servers'): string[] {
  const raw = (Array.isArray(input) ? input : [input ?? '']).flatMap((s) => String(s).split(','));
  const list = raw.map((s) => s.trim()).filter((s) => s.length > 0);
  if (list.length === 0) return [DEFAULT_NATS_URL];
  return list.map((s) => {
    const shown = redact(/^[a-z]+:\/\//i.test(s) ? s : `nats://${s}`);
    if (/\s/.test(s)) throw new ConfigError(optionName, `${optionName}: "${shown}" is not a NATS address (no spaces allowed; e.g. nats://127.0.0.1:4222)`);
    const url = /^[a-z]+:\/\//i.test(s) ? s : `nats://${s}`;
    if (!/^(nats|tls|ws|wss):\/\/[^/]+$/i.test(url)) {
      throw new ConfigError(optionName, `${optionName}: "${shown}" is not a NATS address (accepted: host:port, nats://host:port, tls://host:port)`);
    }
    return url;
  });
}

/** Credentials found in server URLs, as nats.js connection options. */
export interface UrlCredentials { user?: string; pass?: string; token?: string }

/**
 * Takes the credentials out of normalised server URLs, as nats.go reads them: `user:pass@` is a user and
 * password, `token@` a token; the first URL holding credentials wins. nats.js v3 ignores them (and reads
 * a password starting with digits as the port), so the servers come back without them.
 */
export function splitCredentials(servers: readonly string[]): { servers: string[]; credentials: UrlCredentials } {
  const credentials: UrlCredentials = {};
  let found = false;
  const out = servers.map((s) => {
    const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/]*)@([^@/]*)$/i.exec(s);
    if (!m) return s;
    const [, scheme, info, rest] = m;
    if (!found) {
      found = true;
      const colon = info.indexOf(':');
      if (colon < 0) credentials.token = decode(info);
      else { credentials.user = decode(info.slice(0, colon)); credentials.pass = decode(info.slice(colon + 1)); }
    }
    return `${scheme}${rest}`;
  });
  return { servers: out, credentials };
}

function decode(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

/** A stable key for a server list, used to share one connection between components that point at the same servers. */
export function serversKey(servers: string[]): string {
  return [...servers].sort().join(',');
}

/** The servers without credentials (`nats://user:pass@host` prints as `nats://host`), for logs and messages. */
export function redactServers(servers: readonly string[]): string[] {
  return servers.map((s) => s.replace(/^([a-z]+:\/\/)[^@/]*@/i, '$1'));
}
