import { badRequest } from '../errors';
import { MAX_HEADERS, MAX_TIMEOUT_NS } from './index';

/** What the server needs from a request's headers. */
export interface RequestHead { endpoint: string; id: string; deadline: number }

/** Reads and checks a request's frame headers; throws a 400 MicroError naming what is wrong. */
export function readHead(service: string, header: Record<string, string>, now: number): RequestHead {
  let n = 0;
  for (const _ in header) if (++n > MAX_HEADERS) throw badRequest(service, `too many headers (more than ${MAX_HEADERS})`);
  const endpoint = header['Micro-Endpoint'] ?? header['Micro-Method'];
  if (!endpoint) throw badRequest(service, 'missing Micro-Endpoint header');
  const id = header['Micro-Id'] ?? header['Micro-ID'] ?? '';
  return { endpoint, id, deadline: deadlineOf(service, header['Timeout'], now) };
}

/** `Timeout` is the remaining budget in nanoseconds (go-micro); absent or 0 means none. Throws 400 when malformed. */
export function deadlineOf(service: string, raw: string | undefined, now: number): number {
  if (raw === undefined || raw === '' || raw === '0') return Infinity;
  if (!/^-?\d+$/.test(raw)) throw badRequest(service, `Timeout header "${raw.slice(0, 40)}" is not a whole number of nanoseconds`);
  const ns = Number(raw);
  if (ns < 0) throw badRequest(service, `Timeout header ${raw} is negative`);
  if (ns > MAX_TIMEOUT_NS) throw badRequest(service, `Timeout header ${raw} exceeds the maximum of ${MAX_TIMEOUT_NS} ns (24 h)`);
  return now + ns / 1e6;
}
