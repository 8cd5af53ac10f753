import { fail, ok, type Result } from '../../protocol/errors.js';
import { parsePcpUriPattern, matchesPcpUri, type PcpUriPattern } from '../../protocol/pcpUri.js';
import { parseTopic } from '../../protocol/topic.js';
import { compilePattern, covers, matchesTopic, type Pattern } from '../topics/pattern.js';

/**
 * What a token's `rights` claim allows (CONTRACT §3). Patterns are compiled once, here, when the
 * token is read; the checks below run on every register, subscribe and send.
 */
export interface Grants {
  /** The token holds `"all"`. */
  readonly all: boolean;
  /** Some brew right's pattern matches the literal topic. */
  canBrew(topic: readonly string[]): boolean;
  /** Some subscribe right's pattern COVERS the requested pattern (matches all it can match). */
  canSubscribe(pattern: Pattern): boolean;
  /** Some send right's URI pattern matches the target client URI. */
  canSend(uri: string): boolean;
  /** Some inventory right's URI pattern matches the listed client URI. */
  canSeeInventory(uri: string): boolean;
  /** The token holds at least one inventory right (else an inventory request is unauthorized). */
  readonly hasInventoryRight: boolean;
  readonly admin: boolean;
  /** Normalized rights (`brew:a.*`, …), deduplicated, in token order; for logs. */
  describe(): string[];
}

export type RightAction = 'brew' | 'subscribe' | 'send' | 'inventory' | 'admin';

export const ALL_RIGHT = 'all';
const OBJECT_RIGHT_KEYS = new Set(['topic', 'read', 'write']);
// Enough of a bad right to recognize it in an error, short enough to keep errors and logs small.
const MAX_SHOWN_RIGHT_CHARS = 64;

/**
 * What the rights add up to. The lists stay undefined until a right needs one: most tokens hold
 * a few kinds of right, and every session keeps its grants.
 */
interface Collected {
  all: boolean;
  admin: boolean;
  brew: Pattern[] | undefined;
  subscribe: Pattern[] | undefined;
  send: PcpUriPattern[] | undefined;
  inventory: PcpUriPattern[] | undefined;
  /** Filled only for describe(): normalized text in token order, deduplicated. */
  described: Set<string> | undefined;
}

/**
 * Parses the `rights` claim. One malformed or unknown right refuses the whole token
 * (UNAUTHENTICATED): granting "the rest" would silently give the client other rights than its
 * issuer meant, while a refusal names the bad right at once.
 */
export function parseRights(rights: unknown): Result<Grants> {
  if (!Array.isArray(rights)) return fail('UNAUTHENTICATED', 'invalid rights: must be an array');
  const acc = collect(rights as readonly unknown[], undefined);
  if ('bad' in acc) {
    return fail('UNAUTHENTICATED', `invalid rights: ${show(acc.bad)} is not a valid right`);
  }
  // A copy: describe() re-reads the claim, and the caller's array is the caller's.
  return ok(new TokenGrants(acc, (rights as readonly unknown[]).slice()));
}

/** Every right into one Collected, or the first malformed one. */
function collect(rights: readonly unknown[], described: Set<string> | undefined): Collected | { bad: unknown } {
  const acc: Collected = { all: false, admin: false, brew: undefined, subscribe: undefined, send: undefined, inventory: undefined, described };
  for (const right of rights) {
    if (!addRight(acc, right)) return { bad: right };
  }
  return acc;
}

/** Adds one right; false when it is malformed. */
function addRight(acc: Collected, right: unknown): boolean {
  if (right === ALL_RIGHT) {
    acc.all = true;
    acc.described?.add(ALL_RIGHT);
    return true;
  }
  if (typeof right === 'string') return addStringRight(acc, right);
  if (typeof right === 'object' && right !== null && !Array.isArray(right)) {
    return addObjectRight(acc, right as Record<string, unknown>);
  }
  return false;
}

/** `"<action>:<pattern>"`; split at the first `:` since URI patterns hold one too. */
function addStringRight(acc: Collected, right: string): boolean {
  const colon = right.indexOf(':');
  if (colon < 0) return false;
  const action = right.slice(0, colon);
  const source = right.slice(colon + 1);
  switch (action) {
    case 'brew':
    case 'subscribe':
      return addTopicRight(acc, action, source);
    case 'send':
    case 'inventory': {
      const pattern = parsePcpUriPattern(source);
      if (pattern === null) return false;
      (acc[action] ??= []).push(pattern);
      acc.described?.add(`${action}:${pattern.source}`);
      return true;
    }
    case 'admin':
      if (source !== '*') return false;
      acc.admin = true;
      acc.described?.add('admin:*');
      return true;
    default:
      return false;
  }
}

/** The 1.x form `{topic, read, write}`: read ⇒ subscribe, write ⇒ brew; absent flags are false. */
function addObjectRight(acc: Collected, right: Record<string, unknown>): boolean {
  // An unknown key is most likely a typo (`writ`); refusing beats silently granting less.
  if (Object.keys(right).some((key) => !OBJECT_RIGHT_KEYS.has(key))) return false;
  const { topic, read = false, write = false } = right;
  if (typeof topic !== 'string' || typeof read !== 'boolean' || typeof write !== 'boolean') return false;
  // Validate the topic even when neither flag is set: a broken right is a broken token.
  if (!parseTopic(topic, { wildcards: true }, 'right').ok) return false;
  if (read && !addTopicRight(acc, 'subscribe', topic)) return false;
  if (write && !addTopicRight(acc, 'brew', topic)) return false;
  return true;
}

function addTopicRight(acc: Collected, action: 'brew' | 'subscribe', source: string): boolean {
  const parsed = parseTopic(source, { wildcards: true }, 'right');
  if (!parsed.ok) return false;
  const pattern = compilePattern(source, parsed.value);
  (acc[action] ??= []).push(pattern);
  acc.described?.add(`${action}:${pattern.segments.join('.')}`);
  return true;
}

const NONE: readonly never[] = Object.freeze([]);

/**
 * One class rather than an object of six closures: every session keeps its grants, and an
 * instance holds its lists only (the empty ones shared), its checks living once on the
 * prototype. describe() is for logs and tests, so its text is built when asked for, from the
 * claim itself.
 */
class TokenGrants implements Grants {
  readonly all: boolean;
  readonly admin: boolean;
  private readonly brew: readonly Pattern[];
  private readonly subscribe: readonly Pattern[];
  private readonly send: readonly PcpUriPattern[];
  private readonly inventory: readonly PcpUriPattern[];

  constructor(
    acc: Collected,
    private readonly rights: readonly unknown[],
  ) {
    this.all = acc.all;
    this.admin = acc.all || acc.admin;
    this.brew = acc.brew ?? NONE;
    this.subscribe = acc.subscribe ?? NONE;
    this.send = acc.send ?? NONE;
    this.inventory = acc.inventory ?? NONE;
  }

  get hasInventoryRight(): boolean {
    return this.all || this.inventory.length > 0;
  }

  canBrew(topic: readonly string[]): boolean {
    return this.all || this.brew.some((p) => matchesTopic(p, topic));
  }

  canSubscribe(pattern: Pattern): boolean {
    return this.all || this.subscribe.some((p) => covers(p, pattern));
  }

  canSend(uri: string): boolean {
    return this.all || this.send.some((p) => matchesPcpUri(p, uri));
  }

  canSeeInventory(uri: string): boolean {
    return this.all || this.inventory.some((p) => matchesPcpUri(p, uri));
  }

  describe(): string[] {
    const described = new Set<string>();
    collect(this.rights, described);
    return [...described];
  }
}

/** A JSON rendering (quotes, escaped control characters) cut to a readable length. */
function show(right: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(right) ?? String(right);
  } catch {
    text = String(right);
  }
  return text.length > MAX_SHOWN_RIGHT_CHARS ? `${text.slice(0, MAX_SHOWN_RIGHT_CHARS)}…` : text;
}
