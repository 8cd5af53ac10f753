import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { Config } from '../../config/schema.js';
import type { Hub } from '../../core/hub.js';
import type { Logger } from '../../core/logger.js';
import { sendJson } from '../edge/httpJson.js';
import { checkAdmin } from './adminAuth.js';
import { AdminEvents } from './adminEvents.js';
import { AdminState } from './adminState.js';
import { readCommand } from './commandIntake.js';
import { runCommand } from './commandHandlers.js';
import { CommandMetrics } from './commandMetrics.js';
import type { CommandDirectory } from './commandDirectory.js';
import { CommandStore } from './commandStore.js';
import { CommandWorker } from './commandWorker.js';
import { DASHBOARD_HTML } from './dashboardPage.js';
import { pageQuery, sessionsPage, topicsPage } from './readApi.js';

const UUID = '[0-9a-f-]{36}';
// Our uuids are lower case; an upper-case one names the same command.
const COMMAND_PATH = new RegExp(`^/commands/(${UUID})$`, 'i');
const DEAD_LETTER_PATH = new RegExp(`^/commands/discarded/(${UUID})$`, 'i');
const REQUEUE_PATH = new RegExp(`^/commands/discarded/(${UUID})/requeue$`, 'i');
// Past this, a refused oversized body is not drained any more: the connection is cut.
const MAX_DRAIN_BYTES = 1 << 20;

const uuidOf = (match: RegExpExecArray): string => (match[1] ?? '').toLowerCase();

type Route = (req: IncomingMessage, res: ServerResponse, url: URL, match: RegExpExecArray) => Promise<void> | void;

interface RouteEntry {
  readonly path: RegExp;
  readonly methods: Readonly<Record<string, Route>>;
}

/**
 * The admin plane (CONTRACT §8, protocol/admin.md) as one HTTP surface: its routes, the admin
 * check in front of every one of them, the command queue and its worker, the state the commands
 * change, the read API and the event feed. The server hands it every request under `/commands`,
 * `/admin/` and `/dashboard`.
 */
export class AdminPlane {
  readonly store: CommandStore;
  readonly state: AdminState;
  readonly events: AdminEvents;
  private readonly worker: CommandWorker;
  private readonly metrics: CommandMetrics;
  private readonly routes: readonly RouteEntry[];

  constructor(
    private readonly hub: Hub,
    private readonly config: Config,
    private readonly log: Logger,
    registry: Registry,
    /** Cluster mode: every node's commands, and the dead letters other nodes hold. */
    private readonly directory?: CommandDirectory,
  ) {
    this.store = new CommandStore(join(config.dataDir, 'commands'), config.commandHistory);
    this.state = new AdminState(join(config.dataDir, 'state'), hub, config.cluster !== undefined, log);
    this.events = new AdminEvents(hub, config.maxUnsentBytes, config.maxAdminEventStreams);
    this.metrics = new CommandMetrics(registry, () => this.store.depth);
    this.worker = new CommandWorker(
      this.store,
      (command, uuid) => runCommand(command, uuid, this.state),
      { retries: config.commandRetries, retryBaseMs: config.commandRetryBaseMs },
      log.child({ plane: 'admin' }),
      this.metrics,
    );
    this.routes = [
      { path: /^\/commands\/?$/, methods: { POST: (req, res, url) => this.submit(req, res, url), GET: (_req, res, url) => this.listCommands(res, url) } },
      { path: /^\/commands\/discarded\/?$/, methods: { GET: (_req, res, url) => this.listDeadLetters(res, url) } },
      { path: REQUEUE_PATH, methods: { POST: (req, res, _url, m) => this.requeue(req, res, uuidOf(m)) } },
      { path: DEAD_LETTER_PATH, methods: { DELETE: (req, res, _url, m) => this.deleteDeadLetter(req, res, uuidOf(m)) } },
      { path: COMMAND_PATH, methods: { GET: (_req, res, _url, m) => this.getCommand(res, uuidOf(m)) } },
      { path: /^\/admin\/sessions\/?$/, methods: { GET: (_req, res, url) => sendJson(res, 200, sessionsPage(this.hub, pageQuery(url))) } },
      { path: /^\/admin\/topics\/?$/, methods: { GET: (_req, res, url) => sendJson(res, 200, topicsPage(this.hub, pageQuery(url))) } },
      { path: /^\/admin\/events\/?$/, methods: { GET: (req, res) => this.events.open(req, res) } },
    ];
  }

  /** Loads the state and the queue a previous run left, then starts the worker. [ADM-DATA-1] */
  async open(): Promise<void> {
    await this.state.open();
    await this.store.open();
    if (this.directory) this.share(this.directory);
    this.worker.kick();
  }

  /**
   * Cluster mode: this node's records are published at every change (and once now, what a
   * previous run left), and a dead letter of this node's acted on through another node comes as
   * a notice.
   */
  private share(directory: CommandDirectory): void {
    this.store.onChange = (record, deleted) => directory.publish(record, deleted);
    for (const record of this.store.held()) directory.publish(record);
    this.hub.engine.onNotice((notice) => {
      if (notice.kind !== 'command' || notice.target.node !== this.hub.engine.node) return;
      const { action, uuid } = notice.target;
      const done = action === 'requeue' ? this.store.requeue(uuid).then((r) => r !== undefined) : this.store.deleteDeadLetter(uuid);
      void done.then(
        (found) => {
          this.log.info({ uuid, action, found }, 'dead letter acted on through another node');
          if (action === 'requeue') this.worker.kick();
        },
        (err: unknown) => this.log.error({ err, uuid, action }, 'could not act on a dead letter for another node'),
      );
    });
  }

  /** Ends the event streams and lets the worker finish what it is doing. */
  async close(): Promise<void> {
    this.events.close();
    await this.worker.stop();
  }

  /** Is this request the admin plane's? (Then `handle` answers it.) */
  owns(path: string): boolean {
    return path === '/dashboard' || path === '/commands' || path.startsWith('/commands/') || path.startsWith('/admin/');
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return this.refuse(req, res, 400, 'the request target is not a valid URL');
    }
    const path = url.pathname;
    if (path === '/dashboard') return this.dashboard(req, res);
    // [ADM-AUTH-1] the token first: nothing else is read or done for a refused one.
    const admin = checkAdmin(req, this.hub);
    if (!admin.ok) {
      // Logged and counted with every other refused authentication (server/auditLog.ts).
      this.hub.refused({ surface: 'admin', reason: admin.reason, sub: admin.sub, remoteAddress: req.socket.remoteAddress, path });
      return this.refuse(req, res, admin.status, admin.error);
    }
    const method = req.method ?? 'GET';
    // [ADM-AUTH-2] actions at info; reads (a CLI waiting on a command asks often) at debug.
    const entry = { admin: admin.identity.sub, method, path };
    if (method === 'GET' || method === 'HEAD') this.log.debug(entry, 'admin read');
    else this.log.info(entry, 'admin request');
    for (const route of this.routes) {
      const match = route.path.exec(path);
      if (!match) continue;
      // HEAD is GET without the body, which Node leaves out by itself.
      const handler = route.methods[method === 'HEAD' ? 'GET' : method];
      if (!handler) return this.refuse(req, res, 405, `${method} is not allowed here`, { allow: Object.keys(route.methods).join(', ') });
      // Whatever a handler throws, sync or async, costs this one request, never the process.
      Promise.resolve()
        .then(() => handler(req, res, url, match))
        .catch((err: unknown) => {
          this.log.error({ err }, 'admin request failed');
          if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
          else res.destroy();
        });
      return;
    }
    this.refuse(req, res, 404, `no admin endpoint ${path}`);
  }

  /** [ADM-CMD-1] [ADM-CMD-2] edge checks, then 200 {uuid} once durably queued. */
  private async submit(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const intake = await readCommand(req, url, this.config.maxCommandBytes);
    if (!intake.ok) return this.refuse(req, res, intake.status, intake.error);
    let uuid: string;
    try {
      const record = await this.store.enqueue(intake.command);
      uuid = record.uuid;
      this.metrics.seen(record);
    } catch (err) {
      // Only a storage failure is the 503 of ADM-CMD-2; anything else is a bug (500).
      const code = (err as NodeJS.ErrnoException).code;
      if (typeof code !== 'string') throw err;
      this.log.error({ err }, 'could not queue an admin command');
      return sendJson(res, 503, { error: `could not queue the command: ${code}` });
    }
    this.log.info({ uuid, command: intake.command.command, version: intake.command.version }, 'admin command queued');
    sendJson(res, 200, { uuid });
    this.worker.kick();
  }

  /** [ADM-CMD-4] */
  private async getCommand(res: ServerResponse, uuid: string): Promise<void> {
    const record = this.store.get(uuid) ?? (await this.directory?.find(uuid))?.record;
    if (!record) return sendJson(res, 404, { error: `no command ${uuid}` });
    sendJson(res, 200, record);
  }

  /** [ADM-CMD-5] this node's dead letters, and in a cluster every other node's, oldest first. */
  private async listDeadLetters(res: ServerResponse, url: URL): Promise<void> {
    const { limit } = pageQuery(url);
    const local = this.store.deadLetters(limit);
    const seen = new Set(local.map((r) => r.uuid));
    const others = ((await this.directory?.deadLetters(limit)) ?? []).map((s) => s.record).filter((r) => !seen.has(r.uuid));
    const all = [...local, ...others].sort((a, b) => (a.finished ?? '').localeCompare(b.finished ?? '')).slice(0, limit);
    sendJson(res, 200, { discarded: all });
  }

  /**
   * A dead letter held by another node of the cluster: that node is told to act on it (it keeps
   * its own queue, in order), and the answer is the same 200 as for one held here.
   */
  private async elsewhere(action: 'requeue' | 'delete', uuid: string): Promise<boolean> {
    const shared = await this.directory?.find(uuid);
    if (!shared || shared.record.status !== 'failed' || shared.node === this.hub.engine.node) return false;
    this.hub.engine.announce({ kind: 'command', target: { action, uuid, node: shared.node } });
    return true;
  }

  private listCommands(res: ServerResponse, url: URL): void {
    sendJson(res, 200, { commands: this.store.recent(pageQuery(url).limit) });
  }

  /** [ADM-CMD-5] */
  private async requeue(req: IncomingMessage, res: ServerResponse, uuid: string): Promise<void> {
    const record = (await this.store.requeue(uuid)) ?? ((await this.elsewhere('requeue', uuid)) || undefined);
    if (!record) return this.refuse(req, res, 404, `no dead letter ${uuid}`);
    sendJson(res, 200, { uuid });
    this.worker.kick();
  }

  private async deleteDeadLetter(req: IncomingMessage, res: ServerResponse, uuid: string): Promise<void> {
    if (!(await this.store.deleteDeadLetter(uuid)) && !(await this.elsewhere('delete', uuid))) return this.refuse(req, res, 404, `no dead letter ${uuid}`);
    sendJson(res, 200, { uuid });
  }

  /** [ADM-READ-4] the page needs no token: the admin pastes one into it. */
  private dashboard(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.refuse(req, res, 405, `${req.method ?? ''} is not allowed here`, { allow: 'GET' });
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(DASHBOARD_HTML),
      'cache-control': 'no-store',
      // An admin pastes a token into it: no other site may frame it.
      'content-security-policy': "frame-ancestors 'none'",
      'x-frame-options': 'DENY',
    });
    res.end(req.method === 'HEAD' ? undefined : DASHBOARD_HTML);
  }

  /**
   * A one-line `{error}` answer. A request body nobody read is drained (bounded) so the client
   * reads the answer rather than a reset; past the bound the connection is cut.
   */
  private refuse(req: IncomingMessage, res: ServerResponse, status: number, error: string, headers: Record<string, string> = {}): void {
    sendJson(res, status, { error }, { connection: 'close', ...headers });
    if (req.readableEnded) return;
    let drained = 0;
    req.on('data', (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > MAX_DRAIN_BYTES) req.socket.destroy();
    });
    req.resume();
  }
}
