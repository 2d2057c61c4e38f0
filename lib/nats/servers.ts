import { DEFAULT_NATS_URL } from '../config/defaults';
import { ConfigError } from '../errors';

export { DEFAULT_NATS_URL };

/** Normalises NATS server addresses: a string (comma-separated allowed) or a list; `nats://` added where missing. */
export function parseServers(input: string | readonly string[] | undefined, optionName = 'servers'): string[] {
  const raw = (Array.isArray(input) ? input : [input ?? '']).flatMap((s) => String(s).split(','));
  const list = raw.map((s) => s.trim()).filter((s) => s.length > 0);
  if (list.length === 0) return [DEFAULT_NATS_URL];
  return list.map((s) => {
    if (/\s/.test(s)) throw new ConfigError(optionName, `${optionName}: "${s}" is not a NATS address (no spaces allowed; e.g. nats://127.0.0.1:4222)`);
    const url = /^[a-z]+:\/\//i.test(s) ? s : `nats://${s}`;
    if (!/^(nats|tls|ws|wss):\/\/[^/]+$/i.test(url)) {
      throw new ConfigError(optionName, `${optionName}: "${s}" is not a NATS address (accepted: host:port, nats://host:port, tls://host:port)`);
    }
    return url;
  });
}

/** A stable key for a server list, used to share one connection between components that point at the same servers. */
export function serversKey(servers: string[]): string {
  return [...servers].sort().join(',');
}
