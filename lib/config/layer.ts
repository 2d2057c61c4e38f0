/**
 * One source of settings (defaults, code options, environment or flags), flattened so that the
 * layers can be merged key by key and a conflict can name where each value came from.
 */
import type { ComponentName, SelectorName } from './parse';
import type { LogLevel } from '../logger';

/** Every setting, flat, in the units of `Config`: milliseconds and normalised server lists. */
export interface Settings {
  transport: ComponentName | object;
  broker: ComponentName | object;
  registry: ComponentName | object;
  transportAddress: string[];
  brokerAddress: string[];
  registryAddress: string[];
  serverName: string;
  serverVersion: string;
  serverId: string;
  serverAddress: string;
  serverMetadata: Record<string, string>;
  serverMaxInflight: number;
  registrySubjects: string[];
  registerTtl: number;
  registerInterval: number;
  registryTimeout: number;
  timeout: number;
  retries: number;
  selector: SelectorName;
  adr32: boolean;
  adr32Prefix: string;
  inboxPrefix: string;
  addressPrefix: string;
  queueGroup: string;
  /** `--address`: only in a layer, spread over the three component addresses before merging. */
  address: string[];
  logLevel: LogLevel;
  connectTimeout: number;
  stopGrace: number;
}

/** The name of one setting. */
export type SettingKey = keyof Settings;

/** One setting's value and where it came from (`--register_ttl`, `MICRO_REGISTRY`, `client.timeout`, `default`). */
export interface Entry { value: unknown; from: string }

/** What one source sets. */
export type Layer = { [K in SettingKey]?: Entry };

/** Merges layers lowest first; metadata merges key by key, everything else is replaced. */
export function mergeLayers(layers: readonly Layer[]): Layer {
  const out: Layer = {};
  for (const layer of layers) {
    for (const [key, entry] of Object.entries(layer) as [SettingKey, Entry][]) {
      const prev = out[key];
      out[key] = key === 'serverMetadata' && prev
        ? { value: { ...(prev.value as object), ...(entry.value as object) }, from: entry.from }
        : entry;
    }
  }
  return out;
}
