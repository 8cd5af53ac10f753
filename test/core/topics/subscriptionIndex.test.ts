import { describe, expect, test } from 'vitest';
import { SubscriptionIndex } from '../../../src/core/topics/subscriptionIndex.js';
import { pattern } from './support.js';

function matches<T>(index: SubscriptionIndex<T>, topic: string): T[] {
  const seen: T[] = [];
  index.forEachMatch(topic.split('.'), (value) => seen.push(value));
  return seen;
}

function indexOf(...sources: string[]): SubscriptionIndex<string> {
  const index = new SubscriptionIndex<string>();
  for (const source of sources) index.add(pattern(source), source);
  return index;
}

describe('SubscriptionIndex', () => {
  test('finds literal, `*` and `**` subscriptions', () => {
    const index = indexOf('a.b', 'a.*', '*.b', 'a.**', '**', 'a.**.b', 'x.y', 'a.*.*', '*');
    expect(matches(index, 'a.b').sort()).toEqual(['**', '*.b', 'a.*', 'a.**', 'a.**.b', 'a.b']);
    expect(matches(index, 'a').sort()).toEqual(['*', '**', 'a.**']);
    expect(matches(index, 'a.c.b').sort()).toEqual(['**', 'a.**', 'a.**.b', 'a.*.*']);
    expect(matches(index, 'q').sort()).toEqual(['*', '**']);
  });

  test('visits an entry once even when several `**` splits reach it', () => {
    const index = indexOf('**.a.**', '**.a.**.a.**', 'a.**.a', '**.*', '*.**.*.**');
    expect(matches(index, 'a.a.a.a').sort()).toEqual(['**.*', '**.a.**', '**.a.**.a.**', '*.**.*.**', 'a.**.a']);
    expect(matches(index, 'b.a.b.a.b').sort()).toEqual(['**.*', '**.a.**', '**.a.**.a.**', '*.**.*.**']);
  });

  test('stores one entry per normalized pattern and value', () => {
    const index = new SubscriptionIndex<string>();
    expect(index.add(pattern('a.**.*'), 's1')).toBe(true);
    expect(index.add(pattern('a.*.**'), 's1')).toBe(false);
    expect(index.add(pattern('a.*.**'), 's2')).toBe(true);
    expect(index.size).toBe(2);
    expect(matches(index, 'a.b').sort()).toEqual(['s1', 's2']);
  });

  test('visits a value once per matching pattern it is stored under', () => {
    const index = new SubscriptionIndex<string>();
    index.add(pattern('a.*'), 'session');
    index.add(pattern('a.**'), 'session');
    index.add(pattern('b.*'), 'session');
    expect(matches(index, 'a.b')).toEqual(['session', 'session']);
  });

  test('removes entries and prunes the nodes they alone used', () => {
    const index = new SubscriptionIndex<number>();
    const empty = index.nodeCount;
    index.add(pattern('a.b.c'), 1);
    index.add(pattern('a.b'), 2);
    index.add(pattern('a.**.c'), 3);
    index.add(pattern('a.**.c'), 4);
    expect(index.remove(pattern('a.b.c'), 2)).toBe(false);
    expect(index.remove(pattern('a.b.x'), 1)).toBe(false);
    expect(index.remove(pattern('a.b.c'), 1)).toBe(true);
    expect(index.remove(pattern('a.b.c'), 1)).toBe(false);
    expect(matches(index, 'a.b.c').sort()).toEqual([3, 4]);
    // a.b still holds 2, so only the `c` under it went.
    expect(index.nodeCount).toBe(empty + 4);
    index.remove(pattern('a.**.c'), 3);
    expect(index.nodeCount).toBe(empty + 4);
    index.remove(pattern('a.**.c'), 4);
    index.remove(pattern('a.b'), 2);
    expect(index.size).toBe(0);
    expect(index.nodeCount).toBe(empty);
    expect(matches(index, 'a.b.c')).toEqual([]);
  });

  test('lets the visitor remove entries it has not reached yet', () => {
    const index = indexOf('a.*', 'a.b', 'a.**');
    const seen: string[] = [];
    index.forEachMatch(['a', 'b'], (value) => {
      seen.push(value);
      for (const source of ['a.*', 'a.b', 'a.**']) if (source !== value) index.remove(pattern(source), source);
    });
    expect(seen).toHaveLength(1);
    expect(index.size).toBe(1);
  });

  test('stays fast on patterns that make naive walks exponential', () => {
    const index = new SubscriptionIndex<number>();
    index.add(pattern(`${'**.a.'.repeat(15)}**.b`), 1);
    index.add(pattern(`${'**.a.'.repeat(15)}**`), 2);
    const started = performance.now();
    expect(matches(index, Array<string>(32).fill('a').join('.'))).toEqual([2]);
    expect(performance.now() - started).toBeLessThan(100);
  });
});
