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
/** Nodes a registry cache keeps per service (all versions); more announced are dropped until some expire. */
export const DEFAULT_CACHE_MAX_NODES = 256;
/** Services a registry cache keeps; looking up one more forgets the oldest. */
export const DEFAULT_CACHE_MAX_SERVICES = 4_096;
/** Node addresses a client pools sockets to; one more closes the oldest address's. */
export const DEFAULT_POOL_MAX_ADDRESSES = 1_024;
/** Idle sockets a client keeps per node address; one more returned is closed. */
export const DEFAULT_POOL_MAX_IDLE = 256;
/** Subject of registry queries of the go-micro nats registry plugins (v2–v5). */
export const DEFAULT_QUERY_TOPIC = 'micro.registry.nats.query';
/** Subject of registry watch events of the go-micro nats registry plugins (v2–v5). */
export const DEFAULT_WATCH_TOPIC = 'micro.registry.nats.watch';
/**
 * Registry subject prefixes spoken by default (`<prefix>.query`, `<prefix>.watch`): the plugins' pair and
 * the pair of go-micro.dev/v5's built-in registry (v5.7+, v6), so every go-micro generation is found.
 */
export const DEFAULT_REGISTRY_SUBJECTS: readonly string[] = Object.freeze(['micro.registry.nats', 'micro.nats']);

/** How long bootstrap waits for NATS to answer at start (a service started before its NATS server). */
export const DEFAULT_CONNECT_TIMEOUT = 30_000;
/** Pause between two connection attempts while waiting for NATS. */
export const DEFAULT_CONNECT_RETRY = 500;
/** How often waiting for NATS is logged. */
export const DEFAULT_CONNECT_LOG_EVERY = 5_000;
/** Level of the built-in logger. */
export const DEFAULT_LOG_LEVEL = 'info';
/**
 * How often the NATS client pings its server, and how many pings may go unanswered: a dead or frozen
 * server is noticed after about (max + 1) × interval (6 s), and nats.js moves to another server of the
 * cluster (nats.js's own defaults, 2 min × 2, take minutes). Overridable through the `nats` options.
 */
export const DEFAULT_PING_INTERVAL = 2_000;
export const DEFAULT_MAX_PING_OUT = 2;
/**
 * How long connecting to one NATS server may take (TCP and handshake). A frozen server accepts TCP but never
 * answers: with nats.js's 20 s default, a reconnect that picks it first stalls for 20 s before trying the next.
 */
export const DEFAULT_DIAL_TIMEOUT = 2_000;
/** Pause between reconnect attempts to the same server. */
export const DEFAULT_RECONNECT_WAIT = 250;

/** How long a publish waits for a NATS connection that is down before it fails 503 (the event is not sent). */
export const DEFAULT_PUBLISH_TIMEOUT = 5_000;

/** Bound on a draining broker disconnect. */
export const DEFAULT_DRAIN_TIMEOUT = 5_000;
/**
 * Async event handlers of one subscription (core NATS, memory) running at once, and events waiting for
 * one; past both, events are dropped and reported. A waiting event holds its message (~1 KiB typical).
 */
export const DEFAULT_BROKER_MAX_HANDLERS = 1_024;
export const DEFAULT_BROKER_MAX_PENDING = 8_192;
/** Bytes (bodies and header blocks) of one subscription's waiting events: large events fill it before the count does. */
export const DEFAULT_BROKER_MAX_PENDING_BYTES = 64 * 1024 * 1024;
/**
 * Requests a server runs at once; past it a request is refused at once with 503 (`micro.server.refused`),
 * its handler not run, so the caller tries another node. A request waiting in a handler holds ~3 KiB, so
 * this bounds that to ~50 MiB, well inside a small (2-core, 512 MiB) service, while a burst of 10 000
 * concurrent calls from one client still runs.
 */
export const DEFAULT_MAX_INFLIGHT = 16_384;
/** Server-side sockets (streams, pooled micro-nats sockets) a listener keeps at once. */
export const DEFAULT_MAX_SOCKETS = 16_384;
/** Frames a socket queues unread; past it the frames are dropped and the socket fails. */
export const DEFAULT_MAX_QUEUE = 4_096;

/**
 * The grace period of a graceful stop: how long `stop()` lets subscriptions drain, in-flight handlers finish
 * and published events flush before it aborts what is left (`ctx.signal`) and closes.
 */
export const DEFAULT_STOP_GRACE = 10_000;
/** The former name of {@link DEFAULT_STOP_GRACE}. */
export const DEFAULT_STOP_TIMEOUT = DEFAULT_STOP_GRACE;

/** Services also speak the NATS Service API, and discovery finds its services (NATS components only). */
export const DEFAULT_ADR32 = true;
/** Prefix of the NATS Service API control subjects (`$SRV.PING`, ...). */
export const DEFAULT_ADR32_PREFIX = '$SRV';

/**
 * Prefix of the reply subjects this process subscribes (nats.js `inboxPrefix`): socket replies, registry
 * query answers. Services answer only reply subjects whose first token starts with `_`.
 */
export const DEFAULT_INBOX_PREFIX = '_INBOX';
/** Prefix of node addresses (the subjects servers listen on); go-micro's nodes listen on `_INBOX.<nuid>` too. */
export const DEFAULT_ADDRESS_PREFIX = '_INBOX';
/** Queue group of every listen subscription: servers sharing a fixed address split its requests. */
export const DEFAULT_QUEUE_GROUP = 'micro-nats';

/**
 * Outlier ejection: a node whose attempts time out this many times in a row is skipped by the selector for
 * {@link DEFAULT_OUTLIER_COOL_OFF} ms, then one call probes it. A frozen node so costs a few slow calls, not all.
 */
export const DEFAULT_OUTLIER_FAILURES = 3;
export const DEFAULT_OUTLIER_COOL_OFF = 10_000;

/** Node selection strategy of the client. */
export const DEFAULT_SELECTOR = 'random';
/** The component used when none is named. */
export const DEFAULT_COMPONENT = 'nats';

/** The JetStream broker's stream, when none is named. */
export const DEFAULT_JS_STREAM = 'MICRO_EVENTS';
/** Dead letters of the JetStream broker go to `<prefix>.<topic>`. */
export const DEFAULT_JS_DEAD_LETTER_PREFIX = 'dlq';
/** A JetStream delivery not acked this long is redelivered. */
export const DEFAULT_JS_ACK_WAIT = 30_000;
/** Deliveries of a JetStream event before it becomes a dead letter. */
export const DEFAULT_JS_MAX_DELIVER = 5;
/** First redelivery delay after a handler failure (doubles per attempt, up to the cap below). */
export const DEFAULT_JS_NAK_DELAY = 1_000;
/** Cap of the doubling redelivery delay. */
export const DEFAULT_JS_MAX_NAK_DELAY = 60_000;
/** The JetStream stream's retention, age (0: no limit), bytes (-1: no limit), replicas and storage. */
export const DEFAULT_JS_RETENTION = 'limits';
export const DEFAULT_JS_MAX_AGE = 0;
export const DEFAULT_JS_MAX_BYTES = -1;
export const DEFAULT_JS_REPLICAS = 1;
export const DEFAULT_JS_STORAGE = 'file';
/** Bound on the topics a managed stream captures (a remote party cannot grow it without bound). */
export const DEFAULT_JS_MAX_MANAGED_SUBJECTS = 1_000;

/** Most ms a health check may take before it counts as failed. */
export const DEFAULT_HEALTH_CHECK_TIMEOUT = 2_000;
