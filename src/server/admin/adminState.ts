import { mkdir, readFile } from 'node:fs/promises';
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
import { writeDurably } from '../edge/durableFiles.js';

interface StaticBrewer {
  topic: string;
  brewer: Brewer;
}

/**
 * What the admin commands change, kept under `<data-dir>/state` (ADM-DATA-1): the revoked tokens
 * and the static brewers. Each change is written durably first and takes effect after, so a
 * command that failed to write changed nothing and can be retried (ADM-CMD-3).
 */
export class AdminState {
  private readonly revocationsFile: string;
  private readonly staticBrewersFile: string;

  constructor(
    private readonly dir: string,
    private readonly hub: Hub,
  ) {
    this.revocationsFile = join(dir, 'revocations.json');
    this.staticBrewersFile = join(dir, 'static-brewers.json');
  }

  /** Loads what a previous run kept; a file that is there but unreadable fails the start. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const revoked = await readJson<RevokedSet>(this.revocationsFile, { jtis: [], subs: [] });
    this.hub.revocations.replace({ jtis: strings(revoked.jtis), subs: strings(revoked.subs) });
    const brewers = await readJson<StaticBrewer[]>(this.staticBrewersFile, []);
    for (const { topic, brewer } of Array.isArray(brewers) ? brewers : []) {
      const registered = registerStaticBrewer(this.hub, topic, brewer);
      if (!registered.ok) throw new Error(`Cannot register the static brewer ${brewer?.uuid} on ${topic} from ${this.staticBrewersFile}: ${registered.error.message}.`);
    }
  }

  /** [ADM-REVOKE-1] */
  async revoke(target: RevocationTarget): Promise<{ closed: number }> {
    const set = this.hub.revocations.with(target, true);
    await writeDurably(this.revocationsFile, JSON.stringify(set));
    this.hub.revocations.replace(set);
    return { closed: revokeToken(this.hub, target) };
  }

  /** [ADM-REVOKE-2] */
  async unrevoke(target: RevocationTarget): Promise<{ lifted: boolean }> {
    if (!this.hub.revocations.has(target)) return { lifted: false };
    const set = this.hub.revocations.with(target, false);
    await writeDurably(this.revocationsFile, JSON.stringify(set));
    this.hub.revocations.replace(set);
    return { lifted: true };
  }

  /** [ADM-KICK-1] nothing to keep: a kick is a moment. */
  kick(target: KickTarget): { kicked: number } {
    return { kicked: kickClient(this.hub, target) };
  }

  /** [ADM-STATIC-1] refused, before anything is written, when a client owns the uuid. */
  async registerStatic(topic: string, brewer: Brewer): Promise<Result<Record<string, never>>> {
    const owner = this.hub.registry.ownerOf(brewer.uuid);
    if (owner !== undefined && owner !== STATIC_SUB) return fail('LACK_PERMISSIONS', `brewer ${brewer.uuid} belongs to the client ${owner}`);
    const existing = this.hub.registry.get(topic, brewer.uuid);
    if (existing?.canonical === canonicalJson(brewer)) return ok({});
    const list = staticBrewers(this.hub).filter((b) => !(b.topic === topic && b.brewer.uuid === brewer.uuid));
    await this.writeStatic([...list, { topic, brewer }]);
    const registered = registerStaticBrewer(this.hub, topic, brewer);
    return registered.ok ? ok({}) : registered;
  }

  /** [ADM-STATIC-2] refused, before anything is written, when there is no such static brewer. */
  async unregisterStatic(topic: string, brewer: string | Brewer): Promise<Result<Record<string, never>>> {
    const found = findStaticBrewer(this.hub, topic, brewer);
    if (!found.ok) return found;
    const { uuid } = found.value;
    await this.writeStatic(staticBrewers(this.hub).filter((b) => !(b.topic === topic && b.brewer.uuid === uuid)));
    const removed = unregisterStaticBrewer(this.hub, found.value);
    return removed.ok ? ok({}) : removed;
  }

  private writeStatic(list: StaticBrewer[]): Promise<void> {
    return writeDurably(this.staticBrewersFile, JSON.stringify(list));
  }
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

async function readJson<T>(path: string, missing: T): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return missing;
    throw new Error(`Cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}.`, { cause: err });
  }
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new Error(`${path} is not valid JSON.`, { cause });
  }
}
