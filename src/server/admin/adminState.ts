import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RevocationTarget, RevokedSet } from '../../core/admin/revocations.js';
import type { Hub } from '../../core/hub.js';
import type { Logger } from '../../core/logger.js';
import { kickClient, type KickTarget } from '../../core/operations/admin/kickClient.js';
import { revokeToken } from '../../core/operations/admin/revokeToken.js';
import { findStaticBrewer, registerStaticBrewer, staticBrewers, unregisterStaticBrewer } from '../../core/operations/admin/staticBrewers.js';
import { canonicalJson } from '../../core/registry/canonicalJson.js';
import { STATIC_SUB } from '../../core/registry/staticOwner.js';
import { fail, ok, type Result } from '../../protocol/errors.js';
import type { Brewer } from '../../protocol/pubkeeper/packets.js';
import { prepareDir, writeDurably } from '../edge/durableFiles.js';

interface StaticBrewer {
  topic: string;
  brewer: Brewer;
}

/**
 * A state file names the command that wrote it last: a command found still queued after a crash,
 * but named there, was applied, and is not run again (ADM-CMD-3: fully applied or not at all).
 */
interface RevocationsFile extends RevokedSet {
  lastCommand?: string;
}

interface StaticBrewersFile {
  lastCommand?: string;
  brewers: StaticBrewer[];
}

/**
 * What the admin commands change, kept under `<data-dir>/state` (ADM-DATA-1): the revoked tokens
 * and the static brewers. Each change is written durably first and takes effect after, so a
 * command that failed to write changed nothing and can be retried (ADM-CMD-3).
 */
export class AdminState {
  private readonly revocationsFile: string;
  private readonly staticBrewersFile: string;
  /** The commands that last wrote each state file. */
  private readonly lastCommands = new Set<string>();
  /** Cluster mode: the files follow the shared state; what they last held, and who wrote it last. */
  private readonly mirrored = { revocations: '', brewers: '', revocationsCommand: undefined as string | undefined, brewersCommand: undefined as string | undefined };
  private mirroring: Promise<void> | undefined;
  private mirrorAgain = false;

  /** `clustered`: the state is shared by every node of a cluster (Redis), this node's files follow it. */
  constructor(
    private readonly dir: string,
    private readonly hub: Hub,
    private readonly clustered = false,
    private readonly log?: Logger,
  ) {
    this.revocationsFile = join(dir, 'revocations.json');
    this.staticBrewersFile = join(dir, 'static-brewers.json');
  }

  /** Loads what a previous run kept; a file that is there but unreadable fails the start. */
  async open(): Promise<void> {
    await prepareDir(this.dir);
    const revoked = await readJson(this.revocationsFile, { jtis: [], subs: [] });
    if (!isObject(revoked) || !isStrings(revoked.jtis) || !isStrings(revoked.subs)) throw new Error(`${this.revocationsFile} does not hold {jtis, subs}.`);
    // A node that joins a cluster already running takes the shared state (learnt on joining) and
    // not its files, which may be older: what was lifted meanwhile must stay lifted.
    const seed = this.hub.engine.seedsSharedState;
    if (seed) {
      const known = this.hub.revocations.snapshot();
      this.hub.revocations.replace({ jtis: [...known.jtis, ...revoked.jtis], subs: [...known.subs, ...revoked.subs] });
      if (this.clustered) {
        for (const jti of revoked.jtis) this.hub.engine.announce({ kind: 'revoke', target: { jti } });
        for (const sub of revoked.subs) this.hub.engine.announce({ kind: 'revoke', target: { sub } });
      }
    }
    this.noteLast(revoked.lastCommand);
    if (typeof revoked.lastCommand === 'string') this.mirrored.revocationsCommand = revoked.lastCommand;
    const file = await readJson(this.staticBrewersFile, { brewers: [] });
    if (!isObject(file) || !Array.isArray(file.brewers)) throw new Error(`${this.staticBrewersFile} does not hold {brewers}.`);
    this.noteLast(file.lastCommand);
    if (typeof file.lastCommand === 'string') this.mirrored.brewersCommand = file.lastCommand;
    if (this.clustered) this.follow();
    if (!seed) return this.mirror();
    for (const entry of file.brewers as unknown[]) {
      const { topic, brewer } = (isObject(entry) ? entry : {}) as Partial<StaticBrewer>;
      const registered = typeof topic === 'string' && isObject(brewer) ? await registerStaticBrewer(this.hub, topic, brewer as Brewer) : undefined;
      if (!registered?.ok) throw new Error(`${this.staticBrewersFile} holds a static brewer that cannot be registered: ${registered?.error.message ?? JSON.stringify(entry)}.`);
    }
  }

  /** Did this command write the state last (so it was applied, though its outcome was not recorded)? */
  applied(uuid: string): boolean {
    return this.lastCommands.has(uuid);
  }

  /** [ADM-REVOKE-1] */
  async revoke(target: RevocationTarget, uuid: string): Promise<{ closed: number }> {
    const set = this.hub.revocations.with(target, true);
    await this.writeRevocations(set, uuid);
    this.hub.revocations.replace(set);
    const closed = revokeToken(this.hub, target);
    // In a cluster every node refuses it from now on and closes its own sessions using it.
    this.hub.engine.announce({ kind: 'revoke', target });
    return { closed };
  }

  /** [ADM-REVOKE-2] */
  async unrevoke(target: RevocationTarget, uuid: string): Promise<{ lifted: boolean }> {
    if (!this.hub.revocations.has(target)) return { lifted: false };
    const set = this.hub.revocations.with(target, false);
    await this.writeRevocations(set, uuid);
    this.hub.revocations.replace(set);
    this.hub.engine.announce({ kind: 'unrevoke', target });
    return { lifted: true };
  }

  /** [ADM-KICK-1] nothing to keep: a kick is a moment. */
  kick(target: KickTarget): { kicked: number } {
    const kicked = kickClient(this.hub, target);
    this.hub.engine.announce({ kind: 'kick', target });
    return { kicked };
  }

  /** [ADM-STATIC-1] refused, before anything is written, when a client owns the uuid. */
  async registerStatic(topic: string, brewer: Brewer, uuid: string): Promise<Result<Record<string, never>>> {
    const owner = this.hub.registry.ownerOf(brewer.uuid);
    if (owner !== undefined && owner !== STATIC_SUB) return fail('LACK_PERMISSIONS', `brewer ${brewer.uuid} belongs to the client ${owner}`);
    const existing = this.hub.registry.get(topic, brewer.uuid);
    if (existing?.canonical === canonicalJson(brewer)) return ok({});
    const list = staticBrewers(this.hub).filter((b) => !(b.topic === topic && b.brewer.uuid === brewer.uuid));
    await this.writeStatic([...list, { topic, brewer }], uuid);
    const registered = await registerStaticBrewer(this.hub, topic, brewer);
    return registered.ok ? ok({}) : registered;
  }

  /** [ADM-STATIC-2] refused, before anything is written, when there is no such static brewer. */
  async unregisterStatic(topic: string, brewer: string | Brewer, uuid: string): Promise<Result<Record<string, never>>> {
    const found = findStaticBrewer(this.hub, topic, brewer);
    if (!found.ok) return found;
    const gone = found.value.uuid;
    await this.writeStatic(staticBrewers(this.hub).filter((b) => !(b.topic === topic && b.brewer.uuid === gone)), uuid);
    const removed = await unregisterStaticBrewer(this.hub, found.value);
    return removed.ok ? ok({}) : removed;
  }

  private async writeRevocations(set: RevokedSet, uuid: string | undefined): Promise<void> {
    const file: RevocationsFile = { ...(uuid !== undefined ? { lastCommand: uuid } : {}), ...set };
    await writeDurably(this.revocationsFile, JSON.stringify(file));
    this.mirrored.revocations = JSON.stringify(set);
    this.mirrored.revocationsCommand = uuid;
    this.noteLast(uuid);
  }

  private async writeStatic(brewers: StaticBrewer[], uuid: string | undefined): Promise<void> {
    const file: StaticBrewersFile = { ...(uuid !== undefined ? { lastCommand: uuid } : {}), brewers };
    await writeDurably(this.staticBrewersFile, JSON.stringify(file));
    this.mirrored.brewers = JSON.stringify(brewers);
    this.mirrored.brewersCommand = uuid;
    this.noteLast(uuid);
  }

  /**
   * Cluster mode: another node's revocation or static brewer change is written to this node's
   * files too, so a node restarted on its own data dir (or the first of a cluster whose Redis lost
   * everything) starts from the shared state, not an older one.
   */
  private follow(): void {
    this.hub.engine.onNotice((notice, fromThisNode) => {
      if (!fromThisNode && notice.kind !== 'kick') this.scheduleMirror();
    });
    this.hub.engine.onApplied((change) => {
      if ('registration' in change && change.registration.sub === STATIC_SUB) this.scheduleMirror();
    });
  }

  private scheduleMirror(): void {
    if (this.mirroring) {
      this.mirrorAgain = true;
      return;
    }
    this.mirroring = this.mirror()
      .catch((err: unknown) => this.log?.error({ err }, "could not write the cluster's admin state to the data dir"))
      .finally(() => {
        this.mirroring = undefined;
        if (this.mirrorAgain) {
          this.mirrorAgain = false;
          this.scheduleMirror();
        }
      });
  }

  /** Writes what changed of the shared state since the files were last written. */
  private async mirror(): Promise<void> {
    const revoked = this.hub.revocations.snapshot();
    if (JSON.stringify(revoked) !== this.mirrored.revocations) await this.writeRevocations(revoked, this.mirrored.revocationsCommand);
    const brewers = staticBrewers(this.hub);
    if (JSON.stringify(brewers) !== this.mirrored.brewers) await this.writeStatic(brewers, this.mirrored.brewersCommand);
  }

  private noteLast(uuid: unknown): void {
    if (typeof uuid === 'string') this.lastCommands.add(uuid);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isStrings = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');

async function readJson(path: string, missing: unknown): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return missing;
    throw new Error(`Cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}.`, { cause: err });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new Error(`${path} is not valid JSON.`, { cause });
  }
}
