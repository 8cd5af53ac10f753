import { describe, expect, test } from 'vitest';
import { TopicIndex } from '../../../src/core/topics/topicIndex.js';
import { pattern } from './support.js';

function indexOf(...topics: string[]): TopicIndex {
  const index = new TopicIndex();
  for (const topic of topics) index.add(topic, topic.split('.'));
  return index;
}

function matching(index: TopicIndex, source: string): string[] {
  const seen: string[] = [];
  index.forEachMatching(pattern(source), (topic) => seen.push(topic));
  return seen.sort();
}

describe('TopicIndex', () => {
  const topics = ['a', 'a.b', 'a.b.c', 'a.c', 'b.a', 'a.a.a', 'x.y.z'];

  test.each([
    ['a.b', ['a.b']],
    ['a.q', []],
    ['a.b.c.d', []],
    ['a.*', ['a.b', 'a.c']],
    ['*', ['a']],
    ['*.a', ['b.a']],
    ['**', topics.slice().sort()],
    ['a.**', ['a', 'a.a.a', 'a.b', 'a.b.c', 'a.c']],
    ['**.a', ['a', 'a.a.a', 'b.a']],
    ['**.a.**', ['a', 'a.a.a', 'a.b', 'a.b.c', 'a.c', 'b.a']],
    ['a.**.c', ['a.b.c', 'a.c']],
    ['*.**.*', ['a.a.a', 'a.b', 'a.b.c', 'a.c', 'b.a', 'x.y.z']],
    ['**.a.**.a.**', ['a.a.a']],
  ])('%s finds %j, each once', (source, expected) => {
    expect(matching(indexOf(...topics), source)).toEqual(expected);
  });

  test('holds each topic once and prunes on removal', () => {
    const index = new TopicIndex();
    expect(index.add('a.b', ['a', 'b'])).toBe(true);
    expect(index.add('a.b', ['a', 'b'])).toBe(false);
    expect(index.add('a.b.c', ['a', 'b', 'c'])).toBe(true);
    expect(index.has('a.b')).toBe(true);
    expect(index.size).toBe(2);
    expect(index.remove('a.b', ['a', 'b'])).toBe(true);
    expect(index.remove('a.b', ['a', 'b'])).toBe(false);
    expect(index.has('a.b')).toBe(false);
    expect(matching(index, 'a.**')).toEqual(['a.b.c']);
    expect(index.remove('a.b.c', ['a', 'b', 'c'])).toBe(true);
    expect(index.size).toBe(0);
    expect(matching(index, '**')).toEqual([]);
    index.add('a.b', ['a', 'b']);
    expect(matching(index, '**')).toEqual(['a.b']);
  });

  test('answers a literal pattern with one lookup, whatever the index holds', () => {
    // 20k lookups among 20k siblings: scanning the stored topics would take seconds, not ms.
    const index = new TopicIndex();
    const patterns = [];
    for (let i = 0; i < 20_000; i++) {
      index.add(`t.${i}`, ['t', String(i)]);
      patterns.push(pattern(`t.${i}`));
    }
    let found = 0;
    const started = performance.now();
    for (const p of patterns) index.forEachMatching(p, () => found++);
    expect(performance.now() - started).toBeLessThan(250);
    expect(found).toBe(20_000);
  });

  test('stays fast on patterns that make naive walks exponential', () => {
    const index = indexOf(Array<string>(32).fill('a').join('.'), Array<string>(31).fill('a').join('.'));
    const started = performance.now();
    expect(matching(index, `${'**.a.'.repeat(15)}**.b`)).toEqual([]);
    expect(matching(index, `${'**.a.'.repeat(15)}**`)).toHaveLength(2);
    expect(performance.now() - started).toBeLessThan(100);
  });
});
