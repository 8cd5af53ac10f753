import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson as json } from './edge/httpJson.js';
import { pathOf } from './edge/upgrade.js';
import type { Metrics } from './metrics.js';

/** Plain HTTP: /healthz, /metrics; WebSocket paths without an upgrade get 426. */
export function handleHttp(req: IncomingMessage, res: ServerResponse, metrics: Metrics, draining: boolean): void {
  const path = pathOf(req.url);
  if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method not allowed' });
  switch (path) {
    case '/healthz':
      return draining ? json(res, 503, { status: 'draining' }) : json(res, 200, { status: 'ok' });
    case '/metrics':
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
