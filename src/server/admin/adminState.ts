import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RevocationTarget, RevokedSet } from '../../core/admin/revocations.js';
import type { Hub } from '../../core/hub.js';
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

  constructor(
    private readonly dir: string,
    private readonly hub: Hub,
  ) {
    this.revocationsFile = join(dir, 'revocations.json');
    this.staticBrewersFile = join(dir, 'static-brewers.json');
  }

  /** Loads what a previous run kept; a file that is there but unreadable fails the start. */
  async open(): Promise<void> {
    await prepareDir(this.dir);
    const revoked = await readJson(this.revocationsFile, { jtis: [], subs: [] });
    if (!isObject(revoked) || !isStrings(revoked.jtis) || !isStrings(revoked.subs)) throw new Error(`${this.revocationsFile} does not hold {jtis, subs}.`);
    // In a cluster the node has already learnt the shared revocations on joining: keep them too.
    const known = this.hub.revocations.snapshot();
    this.hub.revocations.replace({ jtis: [...known.jtis, ...revoked.jtis], subs: [...known.subs, ...revoked.subs] });
    this.noteLast(revoked.lastCommand);
    const file = await readJson(this.staticBrewersFile, { brewers: [] });
    if (!isObject(file) || !Array.isArray(file.brewers)) throw new Error(`${this.staticBrewersFile} does not hold {brewers}.`);
    this.noteLast(file.lastCommand);
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

  private async writeRevocations(set: RevokedSet, uuid: string): Promise<void> {
    const file: RevocationsFile = { lastCommand: uuid, ...set };
    await writeDurably(this.revocationsFile, JSON.stringify(file));
    this.noteLast(uuid);
  }

  private async writeStatic(brewers: StaticBrewer[], uuid: string): Promise<void> {
    const file: StaticBrewersFile = { lastCommand: uuid, brewers };
    await writeDurably(this.staticBrewersFile, JSON.stringify(file));
    this.noteLast(uuid);
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
