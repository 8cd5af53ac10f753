import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Hub } from '../core/hub.js';
import type { BrewRelay } from './relay/brewRelay.js';

/**
 * Prometheus metrics of one server, in a registry of its own (several servers may share a
 * process, as in tests). Gauges read live state when scraped; the hot-path counts (notifications,
 * routed messages) are plain numbers in the core, read the same way, so nothing is added to the
 * paths that matter. Errors and closes arrive as hub events.
 */
export class Metrics {
  readonly registry = new Registry();

  constructor(hub: Hub, relay?: BrewRelay) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
    new Gauge({
      name: 'pubkeeper_sessions',
      help: 'Open sessions by dialect.',
      labelNames: ['dialect'],
      registers,
      collect() {
        this.reset();
        for (const session of hub.sessions) this.inc({ dialect: session.dialect });
      },
    });
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
