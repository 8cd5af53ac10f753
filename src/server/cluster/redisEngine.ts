import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../../core/logger.js';
import type { Applied, AppliedListener, ClusterNotice, NoticeListener, Proposal } from '../../core/registry/changes.js';
import type { ForwardListener, RegistryEngine } from '../../core/registry/registryEngine.js';
import { refKey, type SessionRef } from '../../core/sessions/sessionRef.js';
import { fail, ok, type Result } from '../../protocol/errors.js';
import type { OutgoingMessage } from '../../protocol/pcp/message.js';
import { AppliedLog } from './appliedLog.js';
import { ClusterStatus } from './clusterStatus.js';
import { encodeInbox, parseInbox } from './inbox.js';
import { leaseTimings, Leases } from './leases.js';
import { parseEntry, parseUriValue } from './logOps.js';
import { RedisCommandDirectory } from './redisCommandDirectory.js';
import { illFormedField, scriptFor } from './proposalScripts.js';
import { Replica } from './replica.js';
import { SCRIPTS, type Reply, type ScriptName } from './scripts.js';
import { ownerNodes, parseRevoked, parseSnapshot, restorePayload } from './sharedState.js';

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
  /** Finished admin commands the cluster's command directory keeps (`--command-history`). */
  readonly commandHistory: number;
}

/** Writes retried after a rejoin before giving up with an error. */
const MAX_WRITE_ATTEMPTS = 5;
/** An ended session's writes still in flight are refused for this long (they must not bring it back). */
const RELEASED_MEMORY_MS = 120_000;

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
  /** Every node's admin commands, readable from this one. */
  readonly commands: RedisCommandDirectory;
  /** This node started the cluster's state (Redis held none when it first joined): its data dir seeds the admin state. */
  seedsSharedState = false;
  private readonly replica: Replica;
  private readonly log: AppliedLog;
  private readonly leases: Leases;
  private readonly listeners: AppliedListener[] = [];
  private readonly noticeListeners: NoticeListener[] = [];
  private readonly forwardListeners: ForwardListener[] = [];
  private readonly cmd: Redis;
  private readonly reader: Redis;
  private readonly inbox: Redis;
  private readonly tag: string;
  private readonly blockMs: number;
  private readonly reapMs: number;
  private epoch = '';
  /**
   * What a reap of this node (it lost its lease) took from its sessions: they are still live, so
   * the rejoin puts it back, whatever the copy says by then.
   */
  private lost: Applied[] = [];
  /** Sessions of this node that ended, by ref key, with when. */
  private readonly released = new Map<string, number>();
  private rejoining: Promise<void> | undefined;
  /** Joins completed: a refusal sent before the last one is stale. */
  private joins = 0;
  private readonly synced: Promise<void>;
  private markSynced: () => void = () => {};
  private resyncWanted = false;
  /** Why the next resync is made, for its log line. */
  private resyncReason: string | undefined;
  private settling: NodeJS.Timeout | undefined;
  private draining = false;
  private stopped = false;
  private following: Promise<void> | undefined;

  constructor(private readonly options: RedisEngineOptions) {
    this.node = `${options.nodeId}.${randomUUID().slice(0, 8)}`;
    this.status = new ClusterStatus(options.nodeId, this.node, () => this.log.seq);
    this.tag = `{${options.prefix}}`;
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
    this.log = new AppliedLog((_seq, text) => this.applyEntry(text));
    const timing = leaseTimings(options.leaseMs);
    this.reapMs = timing.reapMs;
    this.blockMs = Math.max(50, Math.min(1000, Math.floor(options.leaseMs / 2)));
    this.leases = new Leases(this.status, timing, {
      leaseMs: options.leaseMs,
      uuidReserveMs: options.uuidReserveMs,
      log: options.log,
      run: (name, args) => this.run(name, args),
      rejoin: () => this.rejoin(),
      offer: (reply) => this.offerReply(reply),
      rewound: () => this.checkRewound(),
    });
    this.synced = new Promise((resolve) => (this.markSynced = resolve));
    // Held while Redis is away, however long: a write is applied in order or not at all.
    const common = { maxRetriesPerRequest: null, enableOfflineQueue: true, retryStrategy: (times: number) => Math.min(50 * times, 500) };
    this.cmd = new Redis(options.url, { ...common, connectionName: `pubkeeper:${this.node}` });
    this.reader = new Redis(options.url, { ...common, connectionName: `pubkeeper:${this.node}:log` });
    this.inbox = new Redis(options.url, { ...common, connectionName: `pubkeeper:${this.node}:inbox` });
    for (const [name, lua] of Object.entries(SCRIPTS)) this.cmd.defineCommand(name, { numberOfKeys: 1, lua });
    this.commands = new RedisCommandDirectory(this.cmd, this.tag, this.node, options.commandHistory, (err) =>
      options.log.error({ err }, 'could not publish an admin command to the cluster'),
    );
    for (const connection of [this.cmd, this.reader, this.inbox]) connection.on('error', () => this.leases.unreachable('connection error'));
    this.cmd.on('close', () => this.leases.unreachable('connection closed'));
    // On every reconnection, at once: a Redis that restarted may have lost the cluster (the
    // renewal finds out) or come back with older data (the rewind check does).
    this.cmd.on('ready', () => {
      if (this.epoch === '') return;
      void this.checkRewound();
      void this.leases.renew();
    });
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
    // A node serves once its copy is whole: say why it is not serving yet while Redis cannot be reached.
    const waiting = setInterval(() => this.options.log.warn('still waiting for Redis to join the cluster'), this.options.leaseMs);
    try {
      await this.inbox.subscribe(this.inboxKey(this.node));
      await this.rejoin();
      this.following = this.follow();
      await this.synced;
    } finally {
      clearInterval(waiting);
    }
    this.leases.start();
    this.options.log.info({ node: this.node, nodes: this.status.nodes, brewers: this.registry.size }, 'joined the cluster');
  }

  /** SIGTERM: this node's sessions end, but what they hold stays until the lease says otherwise. */
  drain(): void {
    this.draining = true;
  }

  /** Stops every loop and connection; the lease is left to run out (a drain's point). */
  async close(): Promise<void> {
    this.stopped = true;
    this.leases.stop();
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
    const malformed = illFormedField(proposal);
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
        return ok(await this.log.appliedAt(seq, String(reply[2])));
      }
      if (verdict === 'STALE') continue;
      // EPOCH or FENCED: Redis lost the cluster, or this node its lease. Rejoin, then try again.
      await this.rejoin();
    }
    return fail('INTERNAL', 'the cluster engine refused the change');
  }

  private async releaseNow(owner: SessionRef): Promise<void> {
    try {
      await this.ready();
      const epoch = this.epoch;
      const reply = await this.run('pkRelease', [owner.node, owner.session, this.options.uuidReserveMs]);
      if (reply[0] === 'OK' && Number(reply[1]) > 0 && epoch === this.epoch) await this.log.appliedAt(Number(reply[1]), String(reply[2]));
    } catch (err) {
      this.options.log.error({ err }, 'could not release a session in the cluster');
    }
  }

  /** Waits while this node joins again, and until its copy has loaded. */
  private async ready(): Promise<void> {
    while (this.rejoining) await this.rejoining;
    await this.synced;
  }

  /**
   * Runs a script as this node. A refusal (EPOCH, FENCED, REJOIN) for an epoch or a lease this
   * node has joined again since the script was sent comes back as STALE: the caller tries again,
   * or lets it be, but does not join once more.
   */
  private async run(name: ScriptName, args: (string | number)[], epoch = this.epoch): Promise<Reply> {
    const script = (this.cmd as unknown as Record<ScriptName, (...a: (string | number)[]) => Promise<Reply>>)[name];
    const joins = this.joins;
    const reply = await script.call(this.cmd, `${this.tag}:meta`, this.tag, epoch, this.node, this.options.logEntries ?? 10000, ...args);
    const refused = reply[0] === 'EPOCH' || reply[0] === 'FENCED' || reply[0] === 'REJOIN';
    return refused && joins !== this.joins ? ['STALE'] : reply;
  }

  /**
   * Has Redis gone back in time (restarted on older data, a replica promoted)? Its log's last seq
   * is then behind what this node applied: the script wipes its state and starts a new epoch,
   * which every node rejoins as after a data loss. Nothing happens otherwise.
   */
  private async checkRewound(): Promise<void> {
    try {
      const applied = this.log.seq;
      const reply = await this.run('pkRewind', [applied, randomUUID()]);
      if (reply[0] === 'EPOCH') return void (await this.rejoin());
      if (Number(reply[1]) !== 1) return;
      this.options.log.warn({ applied }, 'Redis went back in time (older data): starting the cluster state again');
      await this.rejoin();
    } catch {
      // Renewals report Redis being away; the next reconnection checks again.
    }
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
    const restore = restorePayload(this.replica, this.lost, this.node, (owner) => this.released.has(refKey(owner)), this.options.revocations());
    this.lost = [];
    const reply = await this.run('pkJoin', [this.options.leaseMs, randomUUID(), this.options.nodeId, JSON.stringify(restore)], '');
    const [epoch, seq, text, revoked, nodes, created] = reply as [string, number, string, string[], number, number];
    this.joins++;
    this.status.rejoins++;
    this.status.nodes = Number(nodes);
    this.leases.reachable();
    if (epoch !== this.epoch) {
      const first = this.epoch === '';
      if (first) this.seedsSharedState = Number(created) === 1;
      if (!first) this.options.log.warn({ epoch }, 'Redis lost the cluster state: rejoined and restored what this node holds');
      this.epoch = epoch;
      this.log.restart();
      if (first) this.wantResync(undefined);
      else this.settleThenResync();
    } else {
      // Same epoch: this node had lost its lease (a renewal, a write or the reaper was refused).
      this.options.log.warn('this node lost its lease: rejoined and restored what it holds');
      this.offerReply(['OK', seq, text]);
    }
    this.applyRevoked(revoked);
  }

  /** After Redis lost the cluster: resync once every node this copy names has rejoined, or a lease has passed. */
  private settleThenResync(): void {
    const started = Date.now();
    const check = async (): Promise<void> => {
      if (this.stopped) return;
      const live = await this.cmd.zrange(`${this.tag}:nodes`, 0, -1).catch(() => [] as string[]);
      if ([...ownerNodes(this.replica, this.node)].every((node) => live.includes(node)) || Date.now() - started >= this.options.leaseMs) {
        return this.wantResync('resynced after Redis lost the cluster state');
      }
      this.settling = setTimeout(() => void check(), this.reapMs);
    };
    clearTimeout(this.settling);
    this.settling = setTimeout(() => void check(), this.reapMs);
  }

  private wantResync(reason: string | undefined): void {
    this.resyncReason = reason;
    this.resyncWanted = true;
    this.log.hold();
  }

  /** Reads the log in order, for ever; a gap (entries trimmed before this node read them) means a resync. */
  private async follow(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.resyncWanted) {
          // A resync that failed (Redis went away meanwhile) is wanted still.
          await this.resync().catch((err: unknown) => {
            this.resyncWanted = true;
            throw err;
          });
          continue;
        }
        const epoch = this.epoch;
        const from = this.log.seq;
        const reply = (await this.reader.xread('COUNT', 1000, 'BLOCK', this.blockMs, 'STREAMS', `${this.tag}:log`, `${from}-0`)) as
          | [string, [string, string[]][]][]
          | null;
        if (!reply || epoch !== this.epoch) continue;
        for (const [id, fields] of reply[0]?.[1] ?? []) {
          const seq = Number.parseInt(id, 10);
          if (!(seq > this.log.seq)) continue;
          if (seq > this.log.seq + 1 && !this.log.hasNext()) {
            this.options.log.warn({ applied: this.log.seq, next: seq }, 'fell behind the cluster log: catching up from a snapshot');
            this.wantResync(undefined);
            break;
          }
          this.log.offer(seq, fields[1] ?? '');
        }
      } catch (err) {
        if (this.stopped) return;
        this.options.log.debug({ err }, 'reading the cluster log failed; trying again');
        await new Promise((resolve) => setTimeout(resolve, this.reapMs));
      }
    }
  }

  /** Makes the copy what Redis holds now, telling subscribers only the difference. */
  private async resync(): Promise<void> {
    this.resyncWanted = false;
    const reply = await this.run('pkSnapshot', []);
    if (reply[0] === 'STALE') return this.wantResync(this.resyncReason);
    if (reply[0] !== 'OK') return this.rejoin();
    const seq = Number(reply[1]);
    // An entry newer than the snapshot is already applied: read the state again.
    if (seq < this.log.seq) return this.wantResync(this.resyncReason);
    const [, , regs, patrons, uris, reservations, revoked] = reply as [string, number, string[], string[], string[], string[], string[]];
    this.replica.resync(parseSnapshot({ regs, patrons, uris, reservations }, (reason) => this.invalid(reason)), []);
    this.log.jumpTo(seq);
    this.status.resyncs++;
    if (this.resyncReason) this.options.log.info({ seq, brewers: this.registry.size }, this.resyncReason);
    this.resyncReason = undefined;
    this.applyRevoked(revoked);
    this.log.resume();
    this.markSynced();
  }

  private applyEntry(text: string): readonly Applied[] {
    const out: Applied[] = [];
    const parsed = parseEntry(text);
    if ('error' in parsed) this.invalid(parsed.error);
    else for (const op of parsed.ops) this.replica.apply(op, out);
    if (!('error' in parsed) && parsed.ops.some((op) => op.op === 'x' && op.node === this.node)) this.lost.push(...out);
    return out;
  }

  /** A script's reply that wrote an entry: applied in order, like the log's. */
  private offerReply(reply: Reply): void {
    if (reply[0] === 'OK' && Number(reply[1]) > 0) this.log.offer(Number(reply[1]), String(reply[2]));
    else if (reply[0] === 'EPOCH') void this.rejoin();
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

  /** Revocations Redis keeps, learnt on joining and on each resync. */
  private applyRevoked(keys: readonly string[] | undefined): void {
    for (const target of parseRevoked(keys ?? [])) this.tellNotice({ kind: 'revoke', target }, false);
  }

  private invalid(reason: string): void {
    this.status.invalidEntries++;
    this.options.log.error({ reason }, 'ignored a value in Redis that no pubkeeper node writes');
  }
}
