/** `--help`: the flags micro-nats reads, their environment variables and defaults. */
import { COMPONENT_NAMES, CONFIG_DEFAULTS } from './index';
import { envName, FLAGS } from './sources';

const d = CONFIG_DEFAULTS;
/** What each flag sets, and its default as the user would type it. */
const ABOUT: Readonly<Record<string, [string, string]>> = Object.freeze({
  address: ['NATS servers of transport, broker and registry (comma-separated; NATS_URL too)', d.address],
  transport: [`transport: ${COMPONENT_NAMES.transport.join(' | ')}`, d.transport],
  transport_address: ['NATS servers of the transport', '--address'],
  broker: [`broker: ${COMPONENT_NAMES.broker.join(' | ')}`, d.broker],
  broker_address: ['NATS servers of the broker', '--address'],
  registry: [`registry: ${COMPONENT_NAMES.registry.join(' | ')}`, d.registry],
  registry_address: ['NATS servers of the registry', '--address'],
  server_name: ['replaces the @Service name (one service only)', '@Service'],
  server_version: ['replaces the @Service version (one service only)', '@Service'],
  server_id: ['node id', 'random UUID'],
  server_address: ['listen address (one service only)', 'a unique inbox'],
  server_max_inflight: ['requests and events one service runs at once; past it 503', `${d.serverMaxInflight}`],
  server_metadata: ['node metadata k=v (repeatable or comma-separated)', 'none'],
  registry_subjects: ['registry subject prefixes, each answered and announced on (comma-separated)', d.registrySubjects.join(',')],
  register_ttl: ['seconds a registry keeps a silent node', `${d.registerTtl / 1000}`],
  register_interval: ['seconds between re-registrations', `${d.registerInterval / 1000}`],
  registry_timeout: ['how long a registry lookup gathers answers (Go duration: 100ms, 1s)', `${d.registryTimeout}ms`],
  client_request_timeout: ['per-call budget (Go duration: 500ms, 5s)', `${d.timeout / 1000}s`],
  client_retries: ['extra attempts after a failed call', `${d.retries}`],
  selector: ['node selection: random | roundRobin', d.selector],
  adr32: ['serve and discover the NATS Service API: true | false', `${d.adr32}`],
  adr32_prefix: ['NATS Service API control subject prefix', d.adr32Prefix],
  inbox_prefix: ['prefix of reply subjects (must start with _)', d.inboxPrefix],
  address_prefix: ['prefix of the node addresses services listen on', d.addressPrefix],
  queue_group: ['queue group of the listen subscriptions', d.queueGroup],
  log_level: ['built-in logger level: trace | debug | info | warn | error | fatal | silent', d.logLevel],
  connect_timeout: ['how long start waits for NATS (Go duration, e.g. 30s; 0 tries once)', `${d.connectTimeout / 1000}s`],
});

/** The help text: one line per flag with its environment variable and default. */
export function helpText(): string {
  // A flag added without a line here still shows, pointing at the README's table.
  const rows = FLAGS.map((f) => [`--${f.flag}`, envName(f.flag), ...(ABOUT[f.flag] ?? ['see the README, Configuration', 'see README'])]);
  const w = [0, 1].map((i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map(([flag, env, about, def]) => `  ${flag.padEnd(w[0])}  ${env.padEnd(w[1])}  ${about} (default ${def})`);
  return ['micro-nats flags (--flag=value or --flag value; each also read from its environment variable):', ...lines,
    'Precedence: defaults < code options < NATS_URL < MICRO_* environment < flags.', ''].join('\n');
}

/** True when `argv` asks for help (`--help` or `-h` before a `--`). */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}
