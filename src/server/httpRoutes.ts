import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson as json } from './edge/httpJson.js';
import { pathOf } from './edge/upgrade.js';
import type { ClusterStatus } from './cluster/clusterStatus.js';
import type { Metrics } from './metrics.js';

/**
 * /healthz: 200 ok; 503 while draining, and in a cluster while the node cannot reach Redis (it
 * still serves the clients it has, but a new client is better served by a node that can write).
 */
function health(res: ServerResponse, draining: boolean, cluster: ClusterStatus | undefined): void {
  const clusterPart = cluster ? { cluster: cluster.toJSON() } : {};
  if (draining) return json(res, 503, { status: 'draining', ...clusterPart });
  if (cluster && !cluster.reachable) return json(res, 503, { status: 'degraded', ...clusterPart });
  json(res, 200, { status: 'ok', ...clusterPart });
}

/** Plain HTTP: /healthz, /metrics; WebSocket paths without an upgrade get 426. */
export function handleHttp(req: IncomingMessage, res: ServerResponse, metrics: Metrics, draining: boolean, cluster?: ClusterStatus): void {
  const path = pathOf(req.url);
  if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method not allowed' });
  switch (path) {
    case '/healthz':
      return health(res, draining, cluster);
    case '/metrics':
      if (!bearerMatches(req.headers.authorization, metrics.token)) {
        metrics.scrapeRefused(req.headers.authorization !== undefined, req.socket.remoteAddress);
        return json(res, 401, { error: 'metrics token required: send Authorization: Bearer <token>' }, { 'www-authenticate': 'Bearer' });
      }
      metrics.render().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text) });
          res.end(text);
        },
        () => json(res, 500, { error: 'metrics unavailable' }),
      );
      return;
    case '/ws':
      return json(res, 426, { error: 'WebSocket upgrade required' });
    default:
      if (path.startsWith('/pcp/')) return json(res, 426, { error: 'WebSocket upgrade required' });
      return json(res, 404, { error: 'not found' });
  }
}

/**
 * True when no token is required, or the header is `Bearer <expected>` exactly. Compared in
 * constant time: both sides are hashed first, so the buffers have the same length and neither
 * the content nor the length of the expected token shows in the timing.
 */
function bearerMatches(header: string | undefined, expected: string | undefined): boolean {
  if (expected === undefined) return true;
  const given = header === undefined ? undefined : /^Bearer +(.+)$/i.exec(header)?.[1];
  if (given === undefined) return false;
  return timingSafeEqual(sha256(given), sha256(expected));
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();
