import type { Hub } from '../core/hub.js';

/**
 * Prometheus text exposition of the hub's gauges and counters. Built on request from live state,
 * so there is nothing to keep in sync on the hot paths.
 */
export function renderMetrics(hub: Hub): string {
  const perDialect = new Map<string, number>();
  for (const session of hub.sessions) perDialect.set(session.dialect, (perDialect.get(session.dialect) ?? 0) + 1);
  const lines: string[] = [
    '# HELP pubkeeper_sessions Open sessions by dialect.',
    '# TYPE pubkeeper_sessions gauge',
  ];
  for (const [dialect, count] of perDialect) lines.push(`pubkeeper_sessions{dialect="${dialect}"} ${count}`);
  lines.push(
    '# HELP pubkeeper_brewers Registered brewers.',
    '# TYPE pubkeeper_brewers gauge',
    `pubkeeper_brewers ${hub.discovery.registry.size}`,
    '# HELP pubkeeper_subscriptions Active subscriptions.',
    '# TYPE pubkeeper_subscriptions gauge',
    `pubkeeper_subscriptions ${hub.discovery.subscriptionCount}`,
    '# HELP pubkeeper_notifications_sent_total Brewer notifications delivered to sessions.',
    '# TYPE pubkeeper_notifications_sent_total counter',
    `pubkeeper_notifications_sent_total ${hub.discovery.stats.notificationsSent}`,
    '# HELP pubkeeper_pcp_clients Connected PCP clients (distinct URIs).',
    '# TYPE pubkeeper_pcp_clients gauge',
    `pubkeeper_pcp_clients ${hub.pcp.connectedCount}`,
    '# HELP pubkeeper_messages_routed_total PCP messages delivered from one client to another.',
    '# TYPE pubkeeper_messages_routed_total counter',
    `pubkeeper_messages_routed_total ${hub.pcp.stats.messagesRouted}`,
  );
  return `${lines.join('\n')}\n`;
}
