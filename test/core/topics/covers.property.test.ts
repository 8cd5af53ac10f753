// `covers(outer, inner)` against its definition: every topic `inner` matches, `outer` matches
// too. Topics are enumerated over the literals of both patterns plus one fresh segment (any
// other segment behaves like the fresh one), up to len(outer) + len(inner) + 2 segments.
import { describe, expect, test } from 'vitest';
import { covers, normalizeWildcardRuns } from '../../../src/core/topics/pattern.js';
import { pattern, prng, randomPattern, referenceMatcher, referenceRegExp, toPath } from './support.js';

const FRESH = 'z';

/** Every topic over `alphabet` with 1 to `maxLength` segments. */
function allTopics(alphabet: readonly string[], maxLength: number): string[][] {
  const out: string[][] = [];
  let layer: string[][] = [[]];
  for (let length = 1; length <= maxLength; length++) {
    layer = layer.flatMap((prefix) => alphabet.map((segment) => [...prefix, segment]));
    out.push(...layer);
  }
  return out;
}

function literalsOf(...patterns: string[][]): string[] {
  return [...new Set(patterns.flat().filter((s) => s !== '*' && s !== '**'))];
}

const universes = new Map<string, string[]>();

/** `allTopics` as `toPath` strings, built once per alphabet and length. */
function universe(alphabet: readonly string[], maxLength: number): string[] {
  const key = `${[...alphabet].sort().join()}|${maxLength}`;
  let paths = universes.get(key);
  if (paths === undefined) {
    paths = allTopics(alphabet, maxLength).map(toPath);
    universes.set(key, paths);
  }
  return paths;
}

/** The definition, checked by enumeration. */
function coversByEnumeration(outer: string[], inner: string[], paths: readonly string[]): boolean {
  const outerRe = referenceRegExp(outer);
  const innerRe = referenceRegExp(inner);
  return paths.every((path) => !innerRe.test(path) || outerRe.test(path));
}

describe('covers vs enumeration', () => {
  test('every pair of patterns of up to 3 segments over {a, b, *, **}', () => {
    const sources = new Set<string>();
    for (const candidate of allTopics(['a', 'b', '*', '**'], 3)) {
      sources.add(normalizeWildcardRuns(candidate).join('.'));
    }
    const patterns = [...sources].map((source) => ({
      source,
      compiled: pattern(source),
      matches: referenceMatcher(source.split('.')),
    }));
    // One shared universe is enough: {a, b} are all the literals, and 8 = 3 + 3 + 2.
    const topics = allTopics(['a', 'b', FRESH], 8);
    const matched = patterns.map((p) => topics.map((topic) => p.matches(topic)));

    let coveredPairs = 0;
    for (const [o, outer] of patterns.entries()) {
      for (const [i, inner] of patterns.entries()) {
        const outerSet = matched[o] ?? [];
        const expected = (matched[i] ?? []).every((hit, t) => !hit || outerSet[t] === true);
        const found = covers(outer.compiled, inner.compiled);
        if (found !== expected) {
          expect({ outer: outer.source, inner: inner.source, covers: found }).toEqual({
            outer: outer.source,
            inner: inner.source,
            covers: expected,
          });
        }
        if (expected) coveredPairs++;
      }
    }
    expect(patterns.length).toBeGreaterThan(50);
    expect(coveredPairs).toBeGreaterThan(patterns.length); // more than reflexivity
  });

  test('random pairs of up to 4 segments, each over its own alphabet', () => {
    const random = prng(4);
    let covered = 0;
    let notCovered = 0;
    for (let n = 0; n < 600; n++) {
      const outer = randomPattern(random, ['a', 'b'], 4, 0.5);
      // Half the time the inner pattern is the outer one narrowed, so "covers" is common too.
      const inner =
        random() < 0.5
          ? outer.map((s) => (s === '**' && random() < 0.5 ? 'a' : s === '*' && random() < 0.5 ? 'b' : s))
          : randomPattern(random, ['a', 'b'], 4, 0.5);
      const paths = universe([...literalsOf(outer, inner), FRESH], outer.length + inner.length + 2);
      const expected = coversByEnumeration(outer, inner, paths);
      const found = covers(pattern(outer.join('.')), pattern(inner.join('.')));
      expect({ outer: outer.join('.'), inner: inner.join('.'), covers: found }).toEqual({
        outer: outer.join('.'),
        inner: inner.join('.'),
        covers: expected,
      });
      if (expected) covered++;
      else notCovered++;
    }
    expect(covered).toBeGreaterThan(100);
    expect(notCovered).toBeGreaterThan(100);
  });
});
