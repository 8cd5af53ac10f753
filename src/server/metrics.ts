import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Hub } from '../core/hub.js';
import type { ClusterStatus } from './cluster/clusterStatus.js';
import type { ConnectionRefusals } from './edge/connectionGuard.js';
import type { BrewRelay } from './relay/brewRelay.js';

export interface MetricsOptions {
  /** When set, GET /metrics requires `Authorization: Bearer <token>` (`--metrics-token`). */
  token?: string | undefined;
  /** Log lines the process's log destination dropped so far (a slow or gone reader). */
  logDrops?: (() => number) | undefined;
  /** The connections each listener closed for a cap or the handshake timeout (CONTRACT §6b). */
  refusedConnections?: (() => Record<string, ConnectionRefusals>) | undefined;
  /** This node's place in its cluster, when it is part of one. */
  cluster?: ClusterStatus | undefined;
}

/**
 * Node's default metrics that walk every handle or file descriptor, so every socket, on each
 * scrape: 18 ms at 10,000 sockets. A scrape must cost the same whatever the number of sessions
 * (CONTRACT §6b); `pubkeeper_sessions` and `pubkeeper_relay_connections` say what they would.
 */
const PER_SOCKET_DEFAULT_METRICS = [
  'nodejs_active_handles',
  'nodejs_active_handles_total',
  'nodejs_active_resources',
  'nodejs_active_resources_total',
  'process_open_fds',
];

/**
 * Prometheus metrics of one server, in a registry of its own (several servers may share a
 * process, as in tests). A scrape costs the same whatever the number of sessions: what changes
 * with them is counted as it changes (sessions by dialect, from the hub's events), and the
 * gauges read at scrape time read sizes the structures keep (registry, subscriptions, URIs,
 * relay maps), never walk them. The hot-path counts (notifications, routed messages) are plain
 * numbers in the core, read the same way, so nothing is added to the paths that matter.
 */
export class Metrics {
  readonly registry = new Registry();
  /** The bearer token GET /metrics requires, when one is set. */
  readonly token: string | undefined;

  constructor(hub: Hub, relay?: BrewRelay, options: MetricsOptions = {}) {
    this.token = options.token;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
    for (const name of PER_SOCKET_DEFAULT_METRICS) this.registry.removeSingleMetric(name);
    const sessions = new Gauge({ name: 'pubkeeper_sessions', help: 'Open sessions by dialect.', labelNames: ['dialect'], registers });
    // Counted once here (none yet, in a new server), then kept by the events: O(1) each.
    for (const session of hub.sessions) sessions.inc({ dialect: session.dialect });
    hub.on('sessionStarted', (session) => sessions.inc({ dialect: session.dialect }));
    hub.on('sessionEnded', (session) => sessions.dec({ dialect: session.dialect }));
    new Gauge({
      name: 'pubkeeper_brewers',
      help: 'Registered brewers.',
      registers,
      collect() {
        this.set(hub.registry.size);
      },
    });
    new Gauge({
      name: 'pubkeeper_subscriptions',
      help: 'Active subscriptions.',
      registers,
      collect() {
        this.set(hub.subscriptions.size);
      },
    });
    new Gauge({
      name: 'pubkeeper_pcp_clients',
      help: 'Connected PCP clients (distinct URIs).',
      registers,
      collect() {
        this.set(hub.engine.uris.size);
      },
    });
    monotonic('pubkeeper_notifications_sent_total', 'Brewer notifications delivered to sessions.', () => hub.stats.notificationsSent, registers);
    monotonic('pubkeeper_messages_routed_total', 'PCP messages delivered from one client to another.', () => hub.stats.messagesRouted, registers);
    const logDrops = options.logDrops;
    monotonic(
      'pubkeeper_log_lines_dropped_total',
      'Log lines dropped: the log destination was too slow (its buffer full) or gone (a closed pipe).',
      () => logDrops?.() ?? 0,
      registers,
    );
    const refused = options.refusedConnections;
    new Counter({
      name: 'pubkeeper_connections_refused_total',
      help: 'Connections closed before any HTTP: past a connection cap, or the handshake timeout; by listener.',
      labelNames: ['listener', 'reason'],
      registers,
      collect() {
        this.reset();
        for (const [listener, counts] of Object.entries(refused?.() ?? {})) {
          this.inc({ listener, reason: 'cap' }, counts.overCap);
          this.inc({ listener, reason: 'handshake_timeout' }, counts.handshakeTimeout);
        }
      },
    });
    if (relay) {
      new Gauge({
        name: 'pubkeeper_relay_connections',
        help: 'Open brew relay connections.',
        registers,
        collect() {
          this.set(relay.stats().connections);
        },
      });
      new Gauge({
        name: 'pubkeeper_relay_topics',
        help: 'Brew relay topics with at least one joined connection.',
        registers,
        collect() {
          this.set(relay.stats().topics);
        },
      });
    }
    if (options.cluster) clusterMetrics(options.cluster, registers);
    const errors = new Counter({ name: 'pubkeeper_errors_total', help: 'Errors answered to clients, by code.', labelNames: ['code'], registers });
    const closes = new Counter({ name: 'pubkeeper_closes_total', help: 'Sessions ended, by close code.', labelNames: ['code'], registers });
    hub.on('errorSent', (_session, code) => errors.inc({ code }));
    // The peer chooses its own close code: label only the ones that mean something here, so a
    // client cannot mint thousands of series.
    hub.on('sessionEnded', (_session, code) => closes.inc({ code: KNOWN_CLOSE_CODES.has(code) ? String(code) : 'other' }));
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

const KNOWN_CLOSE_CODES = new Set([1000, 1001, 1002, 1005, 1006, 1007, 1008, 1009, 1011, 4000, 4001, 4003, 4004, 4005]);

/** A counter whose value the core keeps: read at scrape time. */
function monotonic(name: string, help: string, read: () => number, registers: Registry[]): void {
  new Counter({
    name,
    help,
    registers,
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** The node's cluster state (CONTRACT §7), read from the fields the engine keeps. */
function clusterMetrics(cluster: ClusterStatus, registers: Registry[]): void {
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ['node'],
      registers,
      collect() {
        this.set({ node: cluster.nodeId }, read());
      },
    });
  };
  gauge('pubkeeper_cluster_engine_reachable', 'Whether this node reaches the cluster engine (Redis): 1 or 0.', () => (cluster.reachable ? 1 : 0));
  gauge('pubkeeper_cluster_nodes', 'Live nodes in the cluster, as of the last lease renewal.', () => cluster.nodes);
  gauge('pubkeeper_cluster_log_lag', 'Registry log entries this node has yet to apply.', () => cluster.lag);
  monotonic('pubkeeper_cluster_reaps_total', 'Dead nodes whose registrations were removed, seen by this node.', () => cluster.reaps, registers);
  monotonic('pubkeeper_cluster_resyncs_total', 'Times this node rebuilt its copy of the registry from a snapshot.', () => cluster.resyncs, registers);
  monotonic('pubkeeper_cluster_joins_total', 'Times this node joined the cluster (1, plus one per lost lease or lost Redis state).', () => cluster.rejoins, registers);
  monotonic('pubkeeper_cluster_invalid_values_total', 'Values read from Redis that no node writes, ignored.', () => cluster.invalidEntries, registers);
}
