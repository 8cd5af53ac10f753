import { MULTI_WILDCARD, SINGLE_WILDCARD } from './topic.js';

/**
 * A validated topic pattern, compiled once (at subscribe time or when a token's rights are read)
 * and matched many times. Segments are already checked by `parseTopic`.
 */
export interface Pattern {
  readonly source: string;
  readonly segments: readonly string[];
  /** True when no segment is a wildcard: matching is then one string compare. */
  readonly literal: boolean;
}

export function compilePattern(source: string, segments: readonly string[]): Pattern {
  const normalized = normalizeWildcardRuns(segments);
  return {
    source,
    segments: normalized,
    literal: !normalized.some((s) => s === SINGLE_WILDCARD || s === MULTI_WILDCARD),
  };
}

/**
 * Rewrites each run of wildcards so that its `*`s come first and at most one `**` ends it:
 * `**.*` and `*.**` and `**.**.*` all mean "one or more segments". The canonical form gives
 * equivalent spellings one path in the subscription trie and keeps `**` runs short.
 */
export function normalizeWildcardRuns(segments: readonly string[]): string[] {
  const out: string[] = [];
  let singles = 0;
  let multi = false;
  const flush = (): void => {
    for (let i = 0; i < singles; i++) out.push(SINGLE_WILDCARD);
    if (multi) out.push(MULTI_WILDCARD);
    singles = 0;
    multi = false;
  };
  for (const segment of segments) {
    if (segment === SINGLE_WILDCARD) singles++;
    else if (segment === MULTI_WILDCARD) multi = true;
    else {
      flush();
      out.push(segment);
    }
  }
  flush();
  return out;
}

/** Does the pattern match the literal topic (given as segments)? */
export function matchesTopic(pattern: Pattern, topic: readonly string[]): boolean {
  const p = pattern.segments;
  if (pattern.literal) {
    if (p.length !== topic.length) return false;
    for (let i = 0; i < p.length; i++) if (p[i] !== topic[i]) return false;
    return true;
  }
  // Greedy match that backtracks only to the most recent `**`: O(pattern × topic) at worst.
  // Trying every split for every `**` is exponential, and patterns come from clients:
  // `**.a.**.a. ... .**.b` against a topic of 32 `a`s ran for over a minute.
  let i = 0;
  let j = 0;
  let starI = -1;
  let starJ = 0;
  while (j < topic.length) {
    const seg = p[i];
    if (seg === MULTI_WILDCARD) {
      starI = i++;
      starJ = j;
    } else if (seg !== undefined && (seg === SINGLE_WILDCARD || seg === topic[j])) {
      i++;
      j++;
    } else if (starI >= 0) {
      // The last `**` takes one more segment; everything after it is retried from there.
      i = starI + 1;
      j = ++starJ;
    } else {
      return false;
    }
  }
  while (p[i] === MULTI_WILDCARD) i++;
  return i === p.length;
}

/**
 * A bound on the states `covers` may explore. Realistic rights take a handful; only a contrived
 * right such as `**.a.*.*.*.*.*.*.*.*` paired with a contrived subscription gets near it, and
 * then we answer "does not cover": refusing a subscription is the safe side of a rights check.
 */
export const MAX_COVERS_STATES = 4096;

/** Stands for every segment that is not a literal of either pattern. */
const FRESH = null;

/**
 * Does `outer` cover `inner`, i.e. every topic `inner` can match, `outer` matches too?
 * `a.*` covers `a.b` and `a.*` but not `a.**`; `**` covers everything.
 *
 * Lining the two patterns up segment by segment is not enough: `*.**.a` covers `**.a.a` (every
 * such topic has two or more segments and ends in `a`), yet no alignment maps the inner `**` to
 * an outer `**`. So this is the language inclusion it claims to be, done as a search for a
 * counterexample. Only one kind of topic needs trying: replacing a segment that an inner
 * wildcard matched by a fresh segment keeps the topic in `inner` and can only make `outer`
 * fail, so inner `*` reads FRESH and inner `**` reads FRESH any number of times. We walk inner
 * positions while tracking the set of outer positions reachable on the same topic, and look
 * for an inner match that leaves `outer` unmatched.
 */
export function covers(outer: Pattern, inner: Pattern): boolean {
  const o = outer.segments;
  const n = inner.segments;
  const seen = new Set<string>();
  // `empty`: no segment read yet. A topic has at least one segment, so reaching the end of
  // `inner` with nothing read (inner `**`) is no counterexample: `*.**` does cover `**`.
  const stack: Array<{ j: number; states: boolean[]; empty: boolean }> = [];
  const push = (j: number, states: boolean[], empty: boolean): void => {
    const key = `${j}:${Number(empty)}:${states.map(Number).join('')}`;
    if (seen.has(key)) return;
    seen.add(key);
    stack.push({ j, states, empty });
  };
  push(0, closeOver(o, [0]), true);
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { j, states, empty } = next;
    if (seen.size > MAX_COVERS_STATES) return false;
    // Nothing of outer is alive, and inner can always finish its topic somehow.
    if (!states.includes(true)) return false;
    if (j === n.length) {
      if (!empty && !states[o.length]) return false;
      continue;
    }
    const seg = n[j];
    if (seg === MULTI_WILDCARD) {
      push(j + 1, states, empty); // `**` matches nothing more
      push(j, step(o, states, FRESH), false); // or one more segment, and stays
    } else {
      push(j + 1, step(o, states, seg === SINGLE_WILDCARD ? FRESH : (seg ?? FRESH)), false);
    }
  }
  return true;
}

/** Outer positions after reading one more topic segment from the positions in `states`. */
function step(o: readonly string[], states: readonly boolean[], segment: string | null): boolean[] {
  const reached: number[] = [];
  for (let i = 0; i < o.length; i++) {
    if (!states[i]) continue;
    const seg = o[i];
    if (seg === MULTI_WILDCARD) reached.push(i);
    else if (seg === SINGLE_WILDCARD || seg === segment) reached.push(i + 1);
  }
  return closeOver(o, reached);
}

/** The positions as flags, plus every position a `**` may skip to by matching nothing. */
function closeOver(o: readonly string[], positions: readonly number[]): boolean[] {
  const states = new Array<boolean>(o.length + 1).fill(false);
  for (const i of positions) states[i] = true;
  for (let i = 0; i < o.length; i++) if (states[i] && o[i] === MULTI_WILDCARD) states[i + 1] = true;
  return states;
}
