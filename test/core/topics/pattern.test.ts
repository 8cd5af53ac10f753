import { describe, expect, test } from 'vitest';
import { covers, matchesTopic, normalizeWildcardRuns } from '../../../src/core/topics/pattern.js';
import { pattern } from './support.js';

const matches = (p: string, topic: string): boolean => matchesTopic(pattern(p), topic.split('.'));
const coversP = (outer: string, inner: string): boolean => covers(pattern(outer), pattern(inner));

describe('compilePattern', () => {
  test.each([
    ['**.*', '*.**'],
    ['*.**', '*.**'],
    ['**.**.*', '*.**'],
    ['**.**', '**'],
    ['a.**.*.*.**.b', 'a.*.*.**.b'],
    ['*.a.*', '*.a.*'],
  ])('normalizes %s to %s', (source, expected) => {
    expect(normalizeWildcardRuns(source.split('.')).join('.')).toBe(expected);
  });

  test('marks literal patterns', () => {
    expect(pattern('a.b').literal).toBe(true);
    expect(pattern('a.*').literal).toBe(false);
    expect(pattern('**').literal).toBe(false);
  });
});

describe('matchesTopic', () => {
  test.each([
    ['a.b', 'a.b', true],
    ['a.b', 'a.b.c', false],
    ['a.b', 'a', false],
    ['a.*', 'a.b', true],
    ['a.*', 'a', false],
    ['a.*', 'a.b.c', false],
    ['*', 'a', true],
    ['*', 'a.b', false],
    ['**', 'a', true],
    ['**', 'a.b.c', true],
    ['a.**', 'a', true],
    ['a.**', 'a.b.c', true],
    ['a.**', 'b', false],
    ['a.**.z', 'a.z', true],
    ['a.**.z', 'a.b.z', true],
    ['a.**.z', 'a.b.c.z', true],
    ['a.**.z', 'a.z.b', false],
    ['**.z', 'z', true],
    ['**.z', 'a.z.z', true],
    ['*.**', 'a', true],
    ['*.**', 'a.b', true],
    ['**.*', 'a', true],
    ['*.*.**', 'a', false],
    ['a.**.b.**.c', 'a.b.c', true],
    ['a.**.b.**.c', 'a.c.b', false],
    ['**.a.*', 'x.a.a.y', true],
    ['**.a.*', 'x.a.y.z', false],
  ])('%s on %s: %s', (p, topic, expected) => {
    expect(matches(p, topic)).toBe(expected);
  });

  test('stays fast on a pattern that makes naive backtracking exponential', () => {
    // 15 × `**.a`, then `**.b`: with every split tried, this took over a minute.
    const source = `${'**.a.'.repeat(15)}**.b`;
    const topic = Array<string>(32).fill('a');
    const started = performance.now();
    expect(matchesTopic(pattern(source), topic)).toBe(false);
    expect(matchesTopic(pattern(source), [...topic.slice(1), 'b'])).toBe(true);
    expect(performance.now() - started).toBeLessThan(50);
  });
});

describe('covers', () => {
  test.each([
    ['a.*', 'a.b', true],
    ['a.*', 'a.*', true],
    ['a.*', 'a.**', false],
    ['a.*', 'a', false],
    ['a.*', 'b.c', false],
    ['**', 'a', true],
    ['**', '*', true],
    ['**', 'a.**.b', true],
    ['**', '**', true],
    ['a.**', 'a', true],
    ['a.**', 'a.*.**', true],
    ['a.**', '**', false],
    ['*', '**', false],
    ['*.**', '**', true], // topics have at least one segment, so `**` never matches zero of them
    ['*.**', '*', true],
    ['*.*.**', '*.**', false],
    ['a.b', 'a.b', true],
    ['a.b', 'a.*', false],
    ['a.**.z', 'a.z', true],
    ['a.**.z', 'a.*.*.z', true],
    ['a.**.z', 'a.**.*.z', true],
    ['a.**.z', 'a.**', false],
    ['**.z', 'a.**.z', true],
    ['a.**.b.**', 'a.b.**.b', true],
    // No alignment maps the inner `**` to an outer `**` here, yet every topic of the inner has two
    // or more segments and ends in `a`; lining segments up used to answer false.
    ['*.**.a', '**.a.a', true],
    ['**.a.*.**', '**.a.a.**', true],
    ['**.a.*.**', '**.a.**', false],
    ['**.a.**', '*.**.a.**', true],
    ['*.**.*', '**.a.a', true],
    ['*.**.*', '**.a', false],
  ])('%s covers %s: %s', (outer, inner, expected) => {
    expect(coversP(outer, inner)).toBe(expected);
  });

  test('answers quickly on long client patterns', () => {
    const started = performance.now();
    expect(coversP('sensors.**', `sensors.${'**.a.'.repeat(15)}**`)).toBe(true);
    expect(coversP(`**.b.${'*.'.repeat(10)}**`, `${'**.a.'.repeat(15)}**`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(100);
  });

  test('refuses, rather than searching without end, on a contrived right', () => {
    // "An `a` with 14 or more segments after it" covers "…, `a`, then exactly 14 segments", but
    // deciding it tracks where the last 15 `a`s were: thousands of states. Past the bound the
    // answer is the safe one, so this true inclusion comes out false.
    const right = `**.a.${'*.'.repeat(14)}**`;
    const inner = `${'**.a.'.repeat(8)}${'*.'.repeat(13)}*`;
    const started = performance.now();
    expect(coversP(right, inner)).toBe(false);
    expect(performance.now() - started).toBeLessThan(500);
    // The same shapes, small enough to stay under the bound, are decided exactly.
    expect(coversP(`**.a.*.*.**`, `**.a.**.a.**.a.*.*`)).toBe(true);
  });
});
