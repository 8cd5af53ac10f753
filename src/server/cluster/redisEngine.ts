import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../../core/logger.js';
import type { Applied, AppliedListener, ClusterNotice, NoticeListener, Proposal } from '../../core/registry/changes.js';
import type { ForwardListener, RegistryEngine } from '../../core/registry/registryEngine.js';
import { STATIC_OWNER } from '../../core/registry/staticOwner.js';
import { refKey, type SessionRef } from '../../core/sessions/sessionRef.js';
import { fail, ok, type Result } from '../../protocol/errors.js';
import type { OutgoingMessage } from '../../protocol/pcp/message.js';
import { ClusterStatus } from './clusterStatus.js';
import { parseInbox, encodeInbox } from './inbox.js';
import { parseEntry, parsePatronValue, parseRegistrationValue, parseUriValue, type LogOp } from './logOps.js';
import { Replica, type SharedState } from './replica.js';
import { SCRIPTS, type ScriptName } from './scripts.js';

export interface RedisEngineOptions {
  /** `redis://host:port[/db]` */
  readonly url: string;
  readonly prefix: string;
  readonly leaseMs: number;
  /** Names the node in logs, metrics and /healthz; the engine's `node` adds an incarnation to it. */
  readonly nodeId: string;
  readonly uuidReserveMs: number;
  readonly log: Logger;
  /** The revocations this node knows, put back when Redis lost them. */
  readonly revocations: () => { jtis: readonly string[]; subs: readonly string[] };
  /** Log entries Redis keeps; a node further behind than this catches up from a snapshot. */
  readonly logEntries?: number;
}

/** How often each loop runs, from the lease: three renewals a lease, several reaper scans. */
const timings = (leaseMs: number): { beatMs: number; reapMs: number; blockMs: number } => ({
  beatMs: Math.max(50, Math.floor(leaseMs / 3)),
  reapMs: Math.max(50, Math.min(250, Math.floor(leaseMs / 8))),
  blockMs: Math.max(50, Math.min(1000, Math.floor(leaseMs / 2))),
});

/** Writes retried after a rejoin before giving up with an error. */
const MAX_WRITE_ATTEMPTS = 5;
/** Applied entries kept for a proposer whose reply comes after the log brought the entry. */
const RECENT_ENTRIES = 1024;
/** An ended session's writes still in flight are refused for this long (they must not bring it back). */
const RELEASED_MEMORY_MS = 120_000;

type Reply = (string | number | string[])[];

/**
 * The registry engine of a cluster node (CONTRACT §7, protocol/cluster.md): the shared state lives
 * in Redis, changed only by the Lua scripts, which append every change to one log; each node
 * applies the log in seq order to its own copy (`Replica`), from which its notifications run as
 * in a single process. A proposal resolves once its own entry has been applied here, so a
 * session's next frame (held by its driver meanwhile) sees its own write.
 *
 * Three connections: one for scripts and publishes, one blocked reading the log, one subscribed
 * to this node's PCP inbox. Commands wait in ioredis' queue while Redis is away (held, in order,
 * never dropped); the node keeps serving its clients from its copy meanwhile.
 */
export class RedisRegistryEngine implements RegistryEngine {
  readonly node: string;
  readonly status: ClusterStatus;
  private readonly replica: Replica;
  private readonly listeners: AppliedListener[] = [];
  private readonly noticeListeners: NoticeListener[] = [];
  private readonly forwardListeners: ForwardListener[] = [];
  private readonly cmd: Redis;
  private readonly reader: Redis;
  private readonly inbox: Redis;
  private readonly tag: string;
  private readonly logKey: string;
  private readonly timing: ReturnType<typeof timings>;
  private epoch = '';
  /** The last seq applied to the copy. */
  private seq = 0;
  /** Entries that came (from a script's reply) before the ones between: applied once those have. */
  private readonly pending = new Map<number, string>();
  private readonly waiters = new Map<number, ((applied: readonly Applied[]) => void)[]>();
  private readonly recent = new Map<number, readonly Applied[]>();
  private readonly released = new Map<string, number>();
  private rejoining: Promise<void> | undefined;
  private synced: Promise<void>;
  private markSynced: () => void = () => {};
  private resyncWanted = false;
  /** Why the next resync is made, for its log line. */
  private resyncReason: string | undefined;
  private settling: NodeJS.Timeout | undefined;
  private beating = false;
  private reaping = false;
  private draining = false;
  private stopped = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private following: Promise<void> | undefined;

  constructor(private readonly options: RedisEngineOptions) {
    this.node = `${options.nodeId}.${randomUUID().slice(0, 8)}`;
    this.status = new ClusterStatus(options.nodeId, this.node);
    this.tag = `{${options.prefix}}`;
    this.logKey = `${this.tag}:log`;
    this.timing = timings(options.leaseMs);
    this.replica = new Replica({
      applied: (change) => {
        for (const listener of this.listeners) listener(change);
      },
      notice: (notice, from) => {
        if (from !== this.node) this.tellNotice(notice, false);
      },
      reaped: (node) => {
        if (node === this.node) return;
        this.status.reaps++;
        options.log.warn({ reaped: node }, 'a node lost its lease: what it held is gone');
      },
    });
    this.synced = new Promise((resolve) => (this.markSynced = resolve));
    // Held while Redis is away, however long: a write is applied in order or not at all.
    const common = { maxRetriesPerRequest: null, enableOfflineQueue: true, retryStrategy: (times: number) => Math.min(50 * times, 500) };
    this.cmd = new Redis(options.url, { ...common, connectionName: `pubkeeper:${this.node}` });
    this.reader = new Redis(options.url, { ...common, connectionName: `pubkeeper:${this.node}:log` });
    this.inbox = new Redis(options.url, { ...common, connectionName: `pubkeeper:${this.node}:inbox` });
    for (const [name, lua] of Object.entries(SCRIPTS)) this.cmd.defineCommand(name, { numberOfKeys: 1, lua });
    for (const connection of [this.cmd, this.reader, this.inbox]) connection.on('error', () => this.unreachable('connection error'));
    this.cmd.on('close', () => this.unreachable('connection closed'));
    this.cmd.on('ready', () => void this.heartbeat());
    this.inbox.on('message', (_channel: string, text: string) => this.received(text));
  }

  get registry(): Replica['registry'] {
    return this.replica.registry;
  }

  get patrons(): Replica['patrons'] {
    return this.replica.patrons;
  }

  get uris(): Replica['uris'] {
    return this.replica.uris;
  }

  /** Joins the cluster and loads its state; resolves once this node's copy is whole. */
  async start(): Promise<void> {
    this.options.log.info({ node: this.node, prefix: this.options.prefix }, 'joining the cluster');
    await this.inbox.subscribe(this.inboxKey(this.node));
    await this.rejoin();
    this.following = this.follow();
    await this.synced;
    this.timers.push(setInterval(() => void this.heartbeat(), this.timing.beatMs));
    this.timers.push(setInterval(() => void this.reap(), this.timing.reapMs));
    this.options.log.info({ node: this.node, nodes: this.status.nodes, brewers: this.registry.size }, 'joined the cluster');
  }

  /** SIGTERM: this node's sessions end, but what they hold stays until the lease says otherwise. */
  drain(): void {
    this.draining = true;
  }

  /** Stops every loop and connection; the lease is left to run out (a drain's point). */
  async close(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    clearTimeout(this.settling);
    for (const connection of [this.cmd, this.reader, this.inbox]) connection.disconnect();
    await this.following?.catch(() => undefined);
  }

  onApplied(listener: AppliedListener): void {
    this.listeners.push(listener);
  }

  onNotice(listener: NoticeListener): void {
    this.noticeListeners.push(listener);
  }

  onForwarded(listener: ForwardListener): void {
    this.forwardListeners.push(listener);
  }

  /** Always resolves: a Redis error is a refused change (INTERNAL), never a rejection nobody awaits. */
  async propose(proposal: Proposal): Promise<Result<readonly Applied[]>> {
    const malformed = illFormedString(proposal);
    if (malformed !== undefined) return fail('INVALID_PAYLOAD', `${malformed} is not valid Unicode (a lone surrogate)`);
    try {
      return await this.write(proposal);
    } catch (err) {
      this.options.log.error({ err, kind: proposal.kind }, 'the cluster engine failed a change');
      return fail('INTERNAL', 'the cluster engine failed the change');
    }
  }

  release(owner: SessionRef, released?: () => void): void {
    const now = Date.now();
    this.released.set(refKey(owner), now);
    for (const [key, at] of this.released) {
      if (now - at < RELEASED_MEMORY_MS) break;
      this.released.delete(key);
    }
    // A draining node's brewers stay for their clients to take over elsewhere; the lease reaps the rest.
    if (this.draining) return released?.();
    void this.releaseNow(owner).finally(() => released?.());
  }

  announce(notice: ClusterNotice): void {
    this.tellNotice(notice, true);
    void this.ready()
      .then(() => this.run('pkNotice', [notice.kind, JSON.stringify(notice.target)]))
      .then((reply) => this.offerReply(reply))
      .catch((err: unknown) => this.options.log.error({ err, notice: notice.kind }, 'could not tell the cluster of an admin action'));
  }

  async forward(to: SessionRef, message: OutgoingMessage, from?: SessionRef): Promise<boolean> {
    try {
      const receivers = await this.cmd.publish(this.inboxKey(to.node), encodeInbox(to.session, message, from));
      return receivers > 0;
    } catch {
      // Only when the engine is closing: nobody could take it.
      return false;
    }
  }

  /** A URI this node's copy does not hold yet: Redis knows whether another node does. */
  async locate(uri: string): Promise<SessionRef | undefined> {
    const raw = await this.cmd.hget(`${this.tag}:uri`, uri).catch(() => null);
    if (raw === null) return undefined;
    const op = parseUriValue(uri, raw);
    if (typeof op !== 'string' && op.op === 'u+') return op.owner;
    this.invalid(typeof op === 'string' ? op : 'not a URI holder');
    return undefined;
  }

  private async write(proposal: Proposal): Promise<Result<readonly Applied[]>> {
    const owner = 'owner' in proposal ? proposal.owner : undefined;
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      await this.ready();
      // An ended session's write that had to wait must not bring back what its end took away.
      if (owner && this.released.has(refKey(owner))) return ok([]);
      const epoch = this.epoch;
      const reply = await this.run(...scriptFor(proposal));
      const verdict = reply[0];
      if (verdict === 'LACK') {
        const uuid = proposal.kind === 'brewer.put' ? proposal.brewer.uuid : 'uuid' in proposal ? proposal.uuid : '';
        return fail('LACK_PERMISSIONS', `brewer ${uuid} belongs to another client`);
      }
      if (verdict === 'OK') {
        const seq = Number(reply[1]);
        // Nothing changed; or the entry belongs to a cluster Redis has since lost (the rejoin put back what is live).
        if (seq === 0 || epoch !== this.epoch) return ok([]);
        return ok(await this.appliedAt(seq, String(reply[2])));
      }
      // EPOCH or FENCED: Redis lost the cluster, or this node its lease. Rejoin, then try again.
      await this.rejoin();
    }
    return fail('INTERNAL', 'the cluster engine refused the change');
  }

  private async releaseNow(owner: SessionRef): Promise<void> {
    try {
      await this.ready();
      const reply = await this.run('pkRelease', [owner.node, owner.session, this.options.uuidReserveMs]);
      const epoch = this.epoch;
      if (reply[0] === 'OK' && Number(reply[1]) > 0 && epoch === this.epoch) await this.appliedAt(Number(reply[1]), String(reply[2]));
    } catch (err) {
      this.options.log.error({ err }, 'could not release a session in the cluster');
    }
  }

  /** Waits while this node joins again, and until its copy has loaded. */
  private async ready(): Promise<void> {
    while (this.rejoining) await this.rejoining;
    await this.synced;
  }

  private run(name: ScriptName, args: (string | number)[], epoch = this.epoch): Promise<Reply> {
    const script = (this.cmd as unknown as Record<ScriptName, (...a: (string | number)[]) => Promise<Reply>>)[name];
    return script.call(this.cmd, `${this.tag}:meta`, this.tag, epoch, this.node, this.options.logEntries ?? 10000, ...args);
  }

  private rejoin(): Promise<void> {
    this.rejoining ??= this.join().finally(() => (this.rejoining = undefined));
    return this.rejoining;
  }

  /**
   * Takes a lease and puts back what this node's live sessions hold (a no-op when Redis still has
   * it). A new epoch means Redis lost the cluster: the log starts again, and once every node that
   * held something has rejoined (or a lease has passed) the copy is made to match Redis.
   */
  private async join(): Promise<void> {
    const reply = await this.run('pkJoin', [this.options.leaseMs, randomUUID(), this.options.nodeId, JSON.stringify(this.restoreState())], '');
    const [epoch, seq, text, revoked, nodes] = reply as [string, number, string, string[], number];
    this.status.rejoins++;
    this.status.nodes = Number(nodes);
    this.reachable();
    if (epoch !== this.epoch) {
      const first = this.epoch === '';
      if (!first) this.options.log.warn({ epoch }, 'Redis lost the cluster state: rejoined and restored what this node holds');
      this.epoch = epoch;
      this.seq = 0;
      this.pending.clear();
      this.settleWaiters(Number.POSITIVE_INFINITY);
      if (first) this.resyncWanted = true;
      else this.settleThenResync();
    } else if (Number(seq) > 0) {
      this.offer(Number(seq), text);
    }
    this.applyRevoked(revoked);
  }

  /** What this node's live sessions hold, and the static brewers, for `pkJoin` to put back. */
  private restoreState(): unknown {
    const live = (owner: SessionRef): boolean => owner.node === this.node && !this.released.has(refKey(owner));
    const sessions = new Set<string>();
    const regs: unknown[] = [];
    for (const r of this.registry.all()) {
      const isStatic = r.owner.node === STATIC_OWNER.node;
      if (!isStatic && !live(r.owner)) continue;
      if (!isStatic) sessions.add(r.owner.session);
      regs.push([r.topic, r.uuid, JSON.stringify(r.brewer), r.canonical, r.sub, r.owner.node, r.owner.session]);
    }
    const patrons: unknown[] = [];
    for (const p of this.patrons.all()) {
      if (!live(p.owner)) continue;
      sessions.add(p.owner.session);
      patrons.push([p.owner.session, p.topic, p.patronId, JSON.stringify(p.brews), p.canonical]);
    }
    const uris: unknown[] = [];
    for (const [uri, owner] of this.uris.entries()) {
      if (!live(owner)) continue;
      sessions.add(owner.session);
      uris.push([uri, owner.session]);
    }
    const known = this.options.revocations();
    const revoked = [...known.jtis.map((jti) => `j\u0000${jti}`), ...known.subs.map((sub) => `s\u0000${sub}`)];
    // cjson reads [] as an empty table either way; `sessions` must be a list even when empty.
    return { sessions: [...sessions], regs, patrons, uris, revoked };
  }

  /** After Redis lost the cluster: resync once every node this copy names has rejoined, or a lease has passed. */
  private settleThenResync(): void {
    const started = Date.now();
    const check = async (): Promise<void> => {
      if (this.stopped) return;
      const owners = new Set<string>();
      for (const r of this.registry.all()) owners.add(r.owner.node);
      for (const p of this.patrons.all()) owners.add(p.owner.node);
      for (const [, owner] of this.uris.entries()) owners.add(owner.node);
      owners.delete(this.node);
      owners.delete(STATIC_OWNER.node);
      let live: string[] = [];
      try {
        live = await this.cmd.zrange(`${this.tag}:nodes`, 0, -1);
      } catch {
        // Asked again below.
      }
      if ([...owners].every((node) => live.includes(node)) || Date.now() - started >= this.options.leaseMs) {
        this.resyncReason = 'resynced after Redis lost the cluster state';
        this.resyncWanted = true;
        return;
      }
      this.settling = setTimeout(() => void check(), this.timing.reapMs);
    };
    clearTimeout(this.settling);
    this.settling = setTimeout(() => void check(), this.timing.reapMs);
  }

  /** Reads the log in order, for ever; a gap (entries trimmed before this node read them) means a resync. */
  private async follow(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.resyncWanted) {
          await this.resync();
          continue;
        }
        const epoch = this.epoch;
        const reply = (await this.reader.xread('COUNT', 1000, 'BLOCK', this.timing.blockMs, 'STREAMS', this.logKey, `${this.seq}-0`)) as
          | [string, [string, string[]][]][]
          | null;
        if (!reply || epoch !== this.epoch) continue;
        for (const [id, fields] of reply[0]?.[1] ?? []) {
          const seq = Number.parseInt(id, 10);
          if (!(seq > this.seq)) continue;
          if (seq > this.seq + 1 && !this.pending.has(this.seq + 1)) {
            this.options.log.warn({ applied: this.seq, next: seq }, 'fell behind the cluster log: catching up from a snapshot');
            this.resyncWanted = true;
            break;
          }
          this.offer(seq, fields[1] ?? '');
        }
      } catch (err) {
        if (this.stopped) return;
        this.options.log.debug({ err }, 'reading the cluster log failed; trying again');
        await new Promise((resolve) => setTimeout(resolve, this.timing.reapMs));
      }
    }
  }

  /** Makes the copy what Redis holds now, telling subscribers only the difference. */
  private async resync(): Promise<void> {
    this.resyncWanted = false;
    const reply = await this.run('pkSnapshot', []);
    if (reply[0] !== 'OK') return this.rejoin();
    const seq = Number(reply[1]);
    if (seq < this.seq) {
      // An entry newer than the snapshot is already applied: read the state again.
      this.resyncWanted = true;
      return;
    }
    const state = this.parseState(reply);
    this.replica.resync(state, []);
    this.seq = seq;
    for (const key of this.pending.keys()) if (key <= seq) this.pending.delete(key);
    this.settleWaiters(seq);
    this.status.resyncs++;
    if (this.resyncReason) this.options.log.info({ seq, brewers: this.registry.size }, this.resyncReason);
    this.resyncReason = undefined;
    this.applyRevoked(reply[6] as string[]);
    this.drainPending();
    this.markSynced();
  }

  private parseState(reply: Reply): SharedState {
    const registrations: Extract<LogOp, { op: 'b+' }>[] = [];
    const patrons: Extract<LogOp, { op: 'p+' }>[] = [];
    const uris: Extract<LogOp, { op: 'u+' }>[] = [];
    const reservations: Extract<LogOp, { op: 'r' }>[] = [];
    for (const text of reply[2] as string[]) {
      const op = parseRegistrationValue(text);
      if (typeof op !== 'string' && op.op === 'b+') registrations.push(op);
      else this.invalid(typeof op === 'string' ? op : 'not a registration');
    }
    for (const text of reply[3] as string[]) {
      const op = parsePatronValue(text);
      if (typeof op !== 'string' && op.op === 'p+') patrons.push(op);
      else this.invalid(typeof op === 'string' ? op : 'not a patron');
    }
    for (const [uri, text] of pairs(reply[4] as string[])) {
      const op = parseUriValue(uri, text);
      if (typeof op !== 'string' && op.op === 'u+') uris.push(op);
      else this.invalid(typeof op === 'string' ? op : 'not a URI holder');
    }
    for (const [uuid, text] of pairs(reply[5] as string[])) {
      const op = parseReservationValue(uuid, text);
      if (typeof op !== 'string' && op.op === 'r') reservations.push(op);
      else this.invalid(typeof op === 'string' ? op : 'not a reservation');
    }
    return { registrations, patrons, uris, reservations };
  }

  /** An entry, from the log or a script's reply: applied now if it is the next, else kept until it is. */
  private offer(seq: number, text: string): void {
    if (seq <= this.seq) return;
    this.pending.set(seq, text);
    this.drainPending();
  }

  private drainPending(): void {
    // While a snapshot is wanted, entries wait: applied before it, they would be undone by it.
    for (let next = this.pending.get(this.seq + 1); next !== undefined && !this.resyncWanted; next = this.pending.get(this.seq + 1)) {
      this.pending.delete(this.seq + 1);
      this.applyEntry(this.seq + 1, next);
    }
  }

  private applyEntry(seq: number, text: string): void {
    this.seq = seq;
    this.status.applied = seq;
    const out: Applied[] = [];
    const parsed = parseEntry(text);
    if ('error' in parsed) this.invalid(parsed.error);
    else for (const op of parsed.ops) this.replica.apply(op, out);
    this.recent.set(seq, out);
    if (this.recent.size > RECENT_ENTRIES) this.recent.delete(this.recent.keys().next().value as number);
    const waiting = this.waiters.get(seq);
    if (!waiting) return;
    this.waiters.delete(seq);
    for (const resolve of waiting) resolve(out);
  }

  /** Resolves once entry `seq` has been applied here, with what it changed. */
  private appliedAt(seq: number, text: string): Promise<readonly Applied[]> {
    if (seq <= this.seq) return Promise.resolve(this.recent.get(seq) ?? []);
    const applied = new Promise<readonly Applied[]>((resolve) => {
      const waiting = this.waiters.get(seq);
      if (waiting) waiting.push(resolve);
      else this.waiters.set(seq, [resolve]);
    });
    this.offer(seq, text);
    return applied;
  }

  /** Entries up to `seq` will never be applied one by one (a snapshot or a new epoch took their place). */
  private settleWaiters(seq: number): void {
    for (const [waitingFor, waiting] of this.waiters) {
      if (waitingFor > seq) continue;
      this.waiters.delete(waitingFor);
      for (const resolve of waiting) resolve(this.recent.get(waitingFor) ?? []);
    }
  }

  private offerReply(reply: Reply): void {
    if (reply[0] === 'OK' && Number(reply[1]) > 0) this.offer(Number(reply[1]), String(reply[2]));
    else if (reply[0] === 'EPOCH') void this.rejoin();
  }

  /** Renews the lease; an answer that does not come within a third of the lease means Redis is away. */
  private async heartbeat(): Promise<void> {
    if (this.beating || this.stopped || this.epoch === '') return;
    this.beating = true;
    const late = setTimeout(() => this.unreachable('no answer within a third of the lease'), this.timing.beatMs);
    try {
      const reply = await this.run('pkHeartbeat', [this.options.leaseMs]);
      clearTimeout(late);
      this.reachable();
      if (reply[0] === 'OK') {
        this.status.nodes = Number(reply[1]);
        this.status.head = Math.max(Number(reply[2]), this.seq);
      } else if (reply[0] === 'REJOIN') {
        this.options.log.warn('this node lost its lease: rejoining and restoring what it holds');
        if (Number(reply[1]) > 0) this.offer(Number(reply[1]), String(reply[2]));
        await this.rejoin();
      } else {
        await this.rejoin();
      }
    } catch (err) {
      clearTimeout(late);
      this.unreachable(err instanceof Error ? err.message : 'heartbeat failed');
    } finally {
      this.beating = false;
    }
  }

  /**
   * Removes what dead nodes held. Only a node that has reached Redis for a whole lease reaps: one
   * that just came back would otherwise reap every node that has not renewed since.
   */
  private async reap(): Promise<void> {
    if (this.reaping || this.stopped || !this.status.reachable || Date.now() - this.status.reachableSince < this.options.leaseMs) return;
    this.reaping = true;
    try {
      const reply = await this.run('pkReap', [this.options.leaseMs, this.options.uuidReserveMs]);
      if (reply[0] === 'FENCED') await this.rejoin();
      else this.offerReply(reply);
    } catch {
      // The heartbeat reports Redis being away.
    } finally {
      this.reaping = false;
    }
  }

  private reachable(): void {
    if (this.status.reachable) return;
    this.status.reachable = true;
    this.status.reachableSince = Date.now();
    if (this.epoch !== '') this.options.log.info('the cluster engine is reachable again');
  }

  private unreachable(reason: string): void {
    if (!this.status.reachable || this.stopped) return;
    this.status.reachable = false;
    this.options.log.warn({ reason }, 'the cluster engine is unreachable: serving connected clients from this node\'s copy');
  }

  /** A routed PCP message from another node, checked like client input before anyone sees it. */
  private received(text: string): void {
    const delivery = parseInbox(text);
    if (!delivery) return this.invalid('inbox message is not a routed PCP message');
    const to = { node: this.node, session: delivery.session };
    for (const listener of this.forwardListeners) listener(to, delivery.message, delivery.from);
  }

  private inboxKey(node: string): string {
    return `${this.tag}:inbox:${node}`;
  }

  private tellNotice(notice: ClusterNotice, fromThisNode: boolean): void {
    for (const listener of this.noticeListeners) listener(notice, fromThisNode);
  }

  /** Revocations Redis keeps (`j\0jti`, `s\0sub`), learnt on joining and on each resync. */
  private applyRevoked(keys: readonly string[] | undefined): void {
    for (const key of keys ?? []) {
      const value = key.slice(2);
      if (value === '') continue;
      if (key.startsWith('j\u0000')) this.tellNotice({ kind: 'revoke', target: { jti: value } }, false);
      else if (key.startsWith('s\u0000')) this.tellNotice({ kind: 'revoke', target: { sub: value } }, false);
    }
  }

  private invalid(reason: string): void {
    this.status.invalidEntries++;
    this.options.log.error({ reason }, 'ignored a value in Redis that no pubkeeper node writes');
  }
}

/** HGETALL's flat reply as pairs. */
function* pairs(flat: readonly string[]): Generator<[string, string]> {
  for (let i = 0; i + 1 < flat.length; i += 2) yield [flat[i] as string, flat[i + 1] as string];
}

/** A reservation as the `resv` hash keeps it: uuid → [sub, untilMs]. */
function parseReservationValue(uuid: string, text: string): LogOp | string {
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value) && typeof value[0] === 'string' && value[0] !== '' && typeof value[1] === 'number' && uuid !== '') {
      return { op: 'r', uuid, sub: value[0], until: value[1] };
    }
  } catch {
    // Reported below.
  }
  return 'not a reservation';
}

/** The script that carries out a proposal, and its arguments. */
function scriptFor(p: Proposal): [ScriptName, (string | number)[]] {
  switch (p.kind) {
    case 'brewer.put':
      return ['pkPut', [p.topic, p.brewer.uuid, JSON.stringify(p.brewer), p.canonical, p.sub, p.owner.node, p.owner.session]];
    case 'brewer.remove':
      return ['pkRemove', [p.topic, p.uuid, p.sub ?? '', p.owner?.node ?? '', p.owner?.session ?? '']];
    case 'patron.put':
      return ['pkPatronPut', [p.owner.node, p.owner.session, p.topic, p.patronId, JSON.stringify(p.brews), p.canonical]];
    case 'patron.remove':
      return ['pkPatronRemove', [p.owner.node, p.owner.session, p.topic, p.patronId]];
    case 'uri.claim':
      return ['pkClaim', [p.uri, p.owner.node, p.owner.session, JSON.stringify(p.drop.map((k) => [k.topic, k.uuid]))]];
  }
}

/**
 * A string Redis would not keep as it is: a lone surrogate becomes U+FFFD in UTF-8, so the entry
 * would come back naming something else than was proposed. Named by field, or undefined.
 */
function illFormedString(p: Proposal): string | undefined {
  const fields: [string, string | undefined][] =
    p.kind === 'brewer.put'
      ? [['topic', p.topic], ['brewer.uuid', p.brewer.uuid], ['sub', p.sub]]
      : p.kind === 'brewer.remove'
        ? [['topic', p.topic], ['uuid', p.uuid], ['sub', p.sub]]
        : p.kind === 'uri.claim'
          ? [['uri', p.uri]]
          : [['topic', p.topic], ['patron_id', p.patronId]];
  return fields.find(([, value]) => value !== undefined && LONE_SURROGATE.test(value))?.[0];
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
