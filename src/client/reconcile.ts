import { compilePattern, matchesTopic, type Pattern } from '../protocol/topicPattern.js';
import type { BrewerEventArgs } from './pubkeeperClient.js';

/** A change to the client's view of the brewers, in the order it should be reported. */
export interface BrewerChange extends BrewerEventArgs {
  kind: 'added' | 'removed';
}

/** One key per (topic, uuid), the identity of a registration (CONTRACT §4). */
export function brewerKey(topic: string, uuid: string): string {
  return JSON.stringify([topic, uuid]);
}

/**
 * Does a subscription pattern match a literal topic? `*` is one segment, `**` zero or more
 * (CONTRACT §3): the server's own matcher, from protocol/.
 */
export function patternMatches(pattern: readonly string[] | Pattern, topic: readonly string[]): boolean {
  return matchesTopic(isCompiled(pattern) ? pattern : compilePattern(pattern.join('.'), pattern), topic);
}

function isCompiled(pattern: readonly string[] | Pattern): pattern is Pattern {
  return !Array.isArray(pattern);
}

/** Deep equality of JSON values, key order aside: how the server compares brewer objects. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((value, i) => sameJson(value, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = Object.keys(ra);
  if (keys.length !== Object.keys(rb).length) return false;
  return keys.every((key) => Object.hasOwn(rb, key) && sameJson(ra[key], rb[key]));
}

interface PatternState {
  /** Compiled once: every notification is matched against every pattern. */
  readonly pattern: Pattern;
  /** Brewers this subscription is known to cover, keyed by topic+uuid. */
  readonly known: Set<string>;
  /** While the subscription's snapshot is being (re)collected: what the new session told us. */
  snapshot: Map<string, BrewerEventArgs> | undefined;
  /** Known brewers the last snapshot lacked: still in `known` until `settleRemovals()`, unless notified meanwhile. */
  readonly pending: Set<string>;
}

/**
 * The client's view of the brewers: a Set of known brewers per subscription pattern, plus the
 * object last reported for each. Every method returns the changes to report, so a consumer that
 * folds the events always holds exactly `list()`:
 * - a brewer is reported added when it first enters any pattern's set, and added again when its
 *   object changes; an identical re-notification is not reported;
 * - it is reported removed when it leaves the last set that held it.
 * After a reconnect each pattern collects its snapshot beside its old set; when the subscribe is
 * acknowledged the two are compared (`endSnapshot`): new and changed brewers come out as added at
 * once, unchanged ones not at all, and those the snapshot lacks become pending removals. Their
 * owners may simply not have replayed their registrations to a restarted server yet: a live
 * notification cancels a pending removal, and `settleRemovals()` (after the settle window) reports
 * the ones still missing.
 */
export class KnownBrewers {
  private readonly patterns = new Map<string, PatternState>();
  private readonly reported = new Map<string, BrewerEventArgs>();

  /** Starts collecting `pattern`'s snapshot; a new pattern starts from an empty set. Call before subscribing. */
  beginSnapshot(pattern: string): void {
    const state = this.patterns.get(pattern);
    if (state) {
      state.snapshot = new Map();
      state.pending.clear(); // this snapshot decides again
    } else {
      const compiled = compilePattern(pattern, pattern.split('.'));
      this.patterns.set(pattern, { pattern: compiled, known: new Set(), snapshot: new Map(), pending: new Set() });
    }
  }

  /**
   * The subscribe was acknowledged, so its whole snapshot has arrived: reconcile it with the old
   * set. Returns the additions; brewers the snapshot lacks become pending removals.
   */
  endSnapshot(pattern: string): BrewerChange[] {
    const state = this.patterns.get(pattern);
    const snapshot = state?.snapshot;
    if (!state || !snapshot) return [];
    state.snapshot = undefined;
    for (const key of state.known) if (!snapshot.has(key)) state.pending.add(key);
    const changes: BrewerChange[] = [];
    for (const [key, event] of snapshot) {
      state.known.add(key);
      changes.push(...this.report(key, event));
    }
    return changes;
  }

  /** True while some brewer a snapshot lacked has neither come back nor been reported removed. */
  hasPendingRemovals(): boolean {
    for (const state of this.patterns.values()) if (state.pending.size > 0) return true;
    return false;
  }

  /** The settle window is over: the brewers still missing leave their sets, and the view if no other set holds them. */
  settleRemovals(): BrewerChange[] {
    const changes: BrewerChange[] = [];
    for (const state of this.patterns.values()) {
      for (const key of state.pending) state.known.delete(key);
    }
    for (const state of this.patterns.values()) {
      for (const key of state.pending) changes.push(...this.dropIfUncovered(key));
      state.pending.clear();
    }
    return changes;
  }

  /**
   * The session ended mid-snapshot or within the settle window: keep what we knew, the next
   * session collects again and decides what is missing.
   */
  abortSnapshots(): void {
    for (const state of this.patterns.values()) {
      state.snapshot = undefined;
      state.pending.clear();
    }
  }

  /** A BREWER_NOTIFY, from a snapshot or live. */
  notify(event: BrewerEventArgs): BrewerChange[] {
    const key = brewerKey(event.topic, event.brewer.uuid);
    const topic = event.topic.split('.');
    let live = false;
    for (const state of this.patterns.values()) {
      if (!patternMatches(state.pattern, topic)) continue;
      if (state.snapshot) {
        state.snapshot.set(key, event);
      } else {
        state.known.add(key);
        state.pending.delete(key); // back before the settle window closed
        live = true;
      }
    }
    // Seen only by patterns still collecting: reported when their snapshot is reconciled.
    return live ? this.report(key, event) : [];
  }

  /** A BREWER_REMOVED: the brewer is gone, whatever pattern held it. */
  removed(event: BrewerEventArgs): BrewerChange[] {
    const key = brewerKey(event.topic, event.brewer.uuid);
    for (const state of this.patterns.values()) {
      state.known.delete(key);
      state.snapshot?.delete(key);
      state.pending.delete(key);
    }
    if (!this.reported.delete(key)) return [];
    return [{ kind: 'removed', topic: event.topic, brewer: event.brewer }];
  }

  /** The subscription is gone (unsubscribed, or refused on replay): brewers no other pattern holds leave the view. */
  forget(pattern: string): BrewerChange[] {
    const state = this.patterns.get(pattern);
    if (!state) return [];
    this.patterns.delete(pattern);
    return [...state.known].flatMap((key) => this.dropIfUncovered(key));
  }

  /** The brewers currently in the view. */
  list(): BrewerEventArgs[] {
    return [...this.reported.values()];
  }

  private report(key: string, event: BrewerEventArgs): BrewerChange[] {
    const before = this.reported.get(key);
    if (before && sameJson(before.brewer, event.brewer)) return [];
    this.reported.set(key, event);
    return [{ kind: 'added', topic: event.topic, brewer: event.brewer }];
  }

  private dropIfUncovered(key: string): BrewerChange[] {
    for (const state of this.patterns.values()) if (state.known.has(key)) return [];
    const event = this.reported.get(key);
    if (!event) return [];
    this.reported.delete(key);
    return [{ kind: 'removed', topic: event.topic, brewer: event.brewer }];
  }
}
