/**
 * Every default value of micro-nats, written once. Components, config resolution and bootstrap read
 * them from here; nothing else writes a default number. Durations are in milliseconds.
 */

/** The NATS server used when none is configured. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
/** The largest message NATS carries by default (nats-server `max_payload`, 1 MiB); the memory components' bound. */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** How long a dialled socket waits for a message (`recv`), unless the call says otherwise. */
export const DEFAULT_TIMEOUT = 10_000;
/** A listener closes a server-side socket that has been silent this long. */
export const DEFAULT_IDLE_TIMEOUT = 60_000;

/** The client's per-call budget. */
export const DEFAULT_CALL_TIMEOUT = 5_000;
/** Extra attempts after a failed call. */
export const DEFAULT_RETRIES = 1;

/** How long a registry lookup collects answers. */
export const DEFAULT_REGISTRY_TIMEOUT = 100;
/** How often a registration is re-announced (heartbeat). */
export const DEFAULT_REGISTER_INTERVAL = 30_000;
/** How long a registry (cache) keeps a node not heard from. */
export const DEFAULT_REGISTER_TTL = 60_000;
/** Subject of registry queries (go-micro v2–v5; v6 uses `micro.nats.query`). */
export const DEFAULT_QUERY_TOPIC = 'micro.registry.nats.query';
/** Subject of registry watch events. */
export const DEFAULT_WATCH_TOPIC = 'micro.registry.nats.watch';

/** Bound on a draining broker disconnect. */
export const DEFAULT_DRAIN_TIMEOUT = 5_000;
/** Bound on waiting for in-flight requests when a server stops. */
export const DEFAULT_STOP_TIMEOUT = 10_000;

/** Services also speak the NATS Service API, and discovery finds its services (NATS components only). */
export const DEFAULT_ADR32 = true;
/** Prefix of the NATS Service API control subjects (`$SRV.PING`, ...). */
export const DEFAULT_ADR32_PREFIX = '$SRV';

/** Node selection strategy of the client. */
export const DEFAULT_SELECTOR = 'random';
/** The component used when none is named. */
export const DEFAULT_COMPONENT = 'nats';
