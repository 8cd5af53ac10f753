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

  test('a pattern with a literal segment finds its topics through the rarest one, as they come and go', () => {
    const index = new TopicIndex();
    for (let i = 0; i < 1000; i++) index.add(`r${i % 10}.dev${i}.m`, [`r${i % 10}`, `dev${i}`, 'm']);
    expect(matching(index, '**.zz')).toEqual([]);
    expect(matching(index, '**.dev5.*')).toEqual(['r5.dev5.m']); // a segment one topic holds
    expect(matching(index, '*.dev5.zz')).toEqual([]); // one literal held by none: nothing to look at
    index.add('q.zz.zz', ['q', 'zz', 'zz']); // a segment twice in one topic
    expect(matching(index, '**.zz')).toEqual(['q.zz.zz']);
    index.add('x.zz', ['x', 'zz']);
    expect(matching(index, '**.zz')).toEqual(['q.zz.zz', 'x.zz']);
    index.remove('q.zz.zz');
    expect(matching(index, '**.zz')).toEqual(['x.zz']);
    index.remove('x.zz');
    index.remove('r5.dev5.m');
    expect(matching(index, '**.zz')).toEqual([]);
    expect(matching(index, '**.dev5.*')).toEqual([]);
    expect(matching(index, 'r5.**').length).toBe(99);
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
