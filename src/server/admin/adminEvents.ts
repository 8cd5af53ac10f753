import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hub } from '../../core/hub.js';
import { sendJson } from '../edge/httpJson.js';
import { brewerEntry, sessionEntry } from './readApi.js';

const HEARTBEAT_MS = 15_000;

/**
 * GET /admin/events: a Server-Sent Events stream of topology changes for the dashboard (ADM-READ-3):
 * sessions opened, updated and closed, brewers added and removed. Nothing is built while nobody
 * listens; a reader that falls behind by more than `maxUnsentBytes` is cut, and at most
 * `maxStreams` are open. A stream outlives its token's revocation or expiry: it was let in once,
 * and an admin ends it by closing the page.
 */
export class AdminEvents {
  private readonly streams = new Set<ServerResponse>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly hub: Hub,
    private readonly maxUnsentBytes: number,
    private readonly maxStreams: number,
  ) {
    hub.on('sessionStarted', (s) => this.send('session.opened', () => sessionEntry(hub, s)));
    hub.on('sessionUpdated', (s) => this.send('session.updated', () => sessionEntry(hub, s)));
    hub.on('sessionEnded', (s, code) => this.send('session.closed', () => ({ id: s.id, code })));
    hub.engine.onApplied((change) => {
      switch (change.kind) {
        case 'brewer.added':
        case 'brewer.replaced':
        case 'brewer.moved': {
          const { registration } = change;
          return this.send('brewer.added', () => ({ topic: registration.topic, ...brewerEntry(hub, registration) }));
        }
        case 'brewer.removed':
          return this.send('brewer.removed', () => ({ topic: change.registration.topic, uuid: change.registration.uuid }));
        case 'patron.added':
        case 'patron.replaced':
        case 'patron.removed': {
          // A 1.x patron is one of its session's patterns: the session changed.
          const { owner } = change.patron;
          const session = owner.node === hub.engine.node ? hub.sessions.get(owner.session) : undefined;
          if (session && !session.closed) this.send('session.updated', () => sessionEntry(hub, session));
          return;
        }
      }
    });
    this.heartbeat = setInterval(() => this.write(': ping\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  get listeners(): number {
    return this.streams.size;
  }

  open(req: IncomingMessage, res: ServerResponse): void {
    if (this.streams.size >= this.maxStreams) return sendJson(res, 503, { error: `at most ${this.maxStreams} event streams are open` });
    // A reader that vanished without a FIN is found by TCP keepalive, not by our 11-byte pings.
    req.socket.setKeepAlive(true, HEARTBEAT_MS);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(': connected\n\n');
    this.streams.add(res);
    req.once('close', () => this.streams.delete(res));
  }

  /** Ends every stream (the server drains). */
  close(): void {
    clearInterval(this.heartbeat);
    for (const res of this.streams) res.end();
    this.streams.clear();
  }

  private send(event: string, build: () => unknown): void {
    if (this.streams.size === 0) return;
    this.write(`event: ${event}\ndata: ${JSON.stringify(build())}\n\n`);
  }

  private write(text: string): void {
    for (const res of this.streams) {
      if (res.writableLength > this.maxUnsentBytes) {
        this.streams.delete(res);
        res.destroy();
        continue;
      }
      res.write(text);
    }
  }
}
