import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AuthRefusal, AuthSurface } from '../core/auth/refusal.js';
import type { Hub } from '../core/hub.js';
import { buildInfo } from './buildInfo.js';
import type { ListenerName, UpgradeRefusalReason } from './edge/upgrade.js';
import type { ClusterStatus } from './cluster/clusterStatus.js';
import type { ConnectionRefusals } from './edge/connectionGuard.js';
import type { BrewRelay } from './relay/brewRelay.js';

/**
 * Seconds, from 10 µs to 2.5 s: a fan-out to a few sessions takes microseconds, one to
 * thousands a few milliseconds, and anything near a second is an incident.
 */
const FAN_OUT_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** Seconds: an HS256 check takes ~10 µs, RS256 ~50 µs, ES256 ~150 µs; past 10 ms the CPU is starved. */
const AUTH_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1];

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
  private readonly upgradesRefused: Counter<'listener' | 'reason'>;

  constructor(
    private readonly hub: Hub,
    relay?: BrewRelay,
    options: MetricsOptions = {},
  ) {
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
    this.upgradesRefused = new Counter({
      name: 'pubkeeper_upgrades_refused_total',
      help: 'WebSocket upgrades answered with an HTTP error instead, by listener and reason.',
      labelNames: ['listener', 'reason'],
      registers,
    });
    authMetrics(hub, registers);
    const fanOut = new Histogram({
      name: 'pubkeeper_fanout_duration_seconds',
      help: 'One brewer event, from the applied registry change to its frames handed to every subscriber\'s connection.',
      buckets: FAN_OUT_BUCKETS,
      registers,
    });
    hub.notifier.observeFanOuts((seconds) => fanOut.observe(seconds));
    const build = buildInfo();
    new Gauge({
      name: 'pubkeeper_build_info',
      help: 'Always 1; the labels say which build runs.',
      labelNames: ['version', 'node', 'commit'],
      registers,
    }).set({ version: build.version, node: build.node, ...(build.commit === undefined ? {} : { commit: build.commit }) }, 1);
  }

  /** Counts an upgrade refused with an HTTP answer. */
  upgradeRefused(listener: ListenerName, reason: UpgradeRefusalReason): void {
    this.upgradesRefused.inc({ listener, reason });
  }

  /** GET /metrics without the right bearer token: reported like every refused authentication. */
  scrapeRefused(tokenGiven: boolean, remoteAddress: string | undefined): void {
    this.hub.refused({ surface: 'metrics', reason: tokenGiven ? 'wrong_token' : 'missing', remoteAddress });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

const KNOWN_CLOSE_CODES = new Set([1000, 1001, 1002, 1005, 1006, 1007, 1008, 1009, 1011, 4000, 4001, 4003, 4004, 4005]);

/** Refused authentications by surface and reason, and the time a token check takes, from the hub's reports. */
function authMetrics(hub: Hub, registers: Registry[]): void {
  const refused = new Counter<'surface' | 'reason'>({
    name: 'pubkeeper_auth_refused_total',
    help: 'Refused authentications, by surface (ws, pcp, relay, admin, metrics) and reason.',
    labelNames: ['surface', 'reason'],
    registers,
  });
  const checked = new Histogram<'surface'>({
    name: 'pubkeeper_auth_duration_seconds',
    help: 'Time to check one token (signature, claims, revocation), by surface.',
    labelNames: ['surface'],
    buckets: AUTH_BUCKETS,
    registers,
  });
  hub.on('authRefused', (refusal: AuthRefusal) => refused.inc({ surface: refusal.surface, reason: refusal.reason }));
  hub.on('authChecked', (surface: AuthSurface, seconds: number) => checked.observe({ surface }, seconds));
}

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
