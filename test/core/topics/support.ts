// Shared by the topic property tests: a seeded PRNG, generators and two independent oracles.
import micromatch from 'micromatch';
import { compilePattern, type Pattern } from '../../../src/core/topics/pattern.js';

// One seeded PRNG for the benchmarks and the property tests.
export { prng } from '../../../bench/harness.js';

export function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

export function randomTopic(random: () => number, alphabet: readonly string[], maxLength: number): string[] {
  const length = 1 + Math.floor(random() * maxLength);
  return Array.from({ length }, () => pick(random, alphabet));
}

/** A pattern whose segments are wildcards with probability `wildcardRate`. */
export function randomPattern(
  random: () => number,
  alphabet: readonly string[],
  maxLength: number,
  wildcardRate = 0.4,
): string[] {
  const length = 1 + Math.floor(random() * maxLength);
  return Array.from({ length }, () => {
    if (random() >= wildcardRate) return pick(random, alphabet);
    return random() < 0.5 ? '*' : '**';
  });
}

export function pattern(source: string): Pattern {
  return compilePattern(source, source.split('.'));
}

/**
 * Reference matcher written straight from CONTRACT §3, sharing no code with pattern.ts: every
 * segment becomes `/segment`, so `**` can be "zero or more `/segment`s" with no edge cases.
 */
export function referenceMatcher(segments: readonly string[]): (topic: readonly string[]) => boolean {
  const re = referenceRegExp(segments);
  return (topic) => re.test(toPath(topic));
}

/** The reference matcher's regular expression, for topics already written by `toPath`. */
export function referenceRegExp(segments: readonly string[]): RegExp {
  const body = segments
    .map((s) => (s === '**' ? '(?:/[^/]+)*' : s === '*' ? '/[^/]+' : `/${escapeRegExp(s)}`))
    .join('');
  return new RegExp(`^${body}$`);
}

/** `a.b.c` as `/a/b/c`. */
export function toPath(topic: readonly string[]): string {
  return `/${topic.join('/')}`;
}

/**
 * micromatch as a second oracle, on `a/b/c` paths. It disagrees with CONTRACT §3 in one corner:
 * a trailing `/**` right after a `*` segment does not match zero segments there (`*` + `/**`
 * refuses `a`, while `a/**` accepts `a`). Those patterns are asked as two globs, with and without
 * the trailing `**`, and a topic matches if either does.
 */
export function micromatchMatcher(segments: readonly string[]): (topic: readonly string[]) => boolean {
  const normalized = compilePattern(segments.join('.'), segments).segments;
  const globs = [normalized.join('/')];
  const n = normalized.length;
  if (n >= 2 && normalized[n - 1] === '**' && normalized[n - 2] === '*') {
    globs.push(normalized.slice(0, -1).join('/'));
  }
  const matchers = globs.map((glob) => micromatch.matcher(glob));
  return (topic) => {
    const path = topic.join('/');
    return matchers.some((match) => match(path));
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
