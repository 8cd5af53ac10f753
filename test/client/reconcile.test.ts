import { describe, expect, it } from 'vitest';
import { KnownBrewers, patternMatches, sameJson } from '../../src/client/reconcile.js';
import { compilePattern, matchesTopic } from '../../src/core/topics/pattern.js';
import { seededRandom } from '../../src/client/backoff.js';

const ev = (topic: string, uuid: string, extra: Record<string, unknown> = {}) => ({ topic, brewer: { uuid, ...extra } });
const summary = (changes: { kind: string; topic: string; brewer: { uuid: string } }[]): string[] =>
  changes.map((c) => `${c.kind} ${c.topic} ${c.brewer.uuid}`);

describe('client: topic matcher', () => {
  it.each([
    ['a.b', 'a.b', true],
    ['a.*', 'a.b', true],
    ['a.*', 'a.b.c', false],
    ['a.**', 'a', true],
    ['a.**.z', 'a.z', true],
    ['a.**.z', 'a.b.c.z', true],
    ['a.**.z', 'a.b.c', false],
    ['**', 'x.y.z', true],
    ['*.*', 'x', false],
    ['**.b.**.b', 'b.b', true],
    ['**.b.**.b', 'a.b.a', false],
  ])('%s ~ %s: %s', (pattern, topic, expected) => {
    expect(patternMatches(pattern.split('.'), topic.split('.'))).toBe(expected);
  });

  it('agrees with the server core matcher on random patterns and topics', () => {
    const random = seededRandom(11);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    for (let i = 0; i < 3000; i++) {
      const pattern = Array.from({ length: 1 + Math.floor(random() * 5) }, () => pick(['a', 'b', '*', '**']));
      const topic = Array.from({ length: 1 + Math.floor(random() * 6) }, () => pick(['a', 'b']));
      const expected = matchesTopic(compilePattern(pattern.join('.'), pattern), topic);
      expect(patternMatches(pattern, topic), `${pattern.join('.')} ~ ${topic.join('.')}`).toBe(expected);
    }
  });
});

describe('client: brewer reconciliation', () => {
  it('compares brewer objects as JSON, key order aside', () => {
    expect(sameJson({ uuid: 'u', a: [1, { b: 2, c: 3 }] }, { a: [1, { c: 3, b: 2 }], uuid: 'u' })).toBe(true);
    expect(sameJson({ uuid: 'u', port: 1 }, { uuid: 'u', port: 2 })).toBe(false);
    expect(sameJson({ uuid: 'u' }, { uuid: 'u', port: undefined })).toBe(false);
    expect(sameJson([1], { 0: 1 })).toBe(false);
  });

  it('live: reports new and changed brewers, not identical repeats; removed once', () => {
    const known = new KnownBrewers();
    known.beginSnapshot('s.*');
    expect(known.endSnapshot('s.*')).toEqual([]);
    expect(summary(known.notify(ev('s.a', '1')))).toEqual(['added s.a 1']);
    expect(known.notify(ev('s.a', '1'))).toEqual([]);
    expect(summary(known.notify(ev('s.a', '1', { port: 2 })))).toEqual(['added s.a 1']);
    expect(known.notify(ev('other.x', '9'))).toEqual([]); // matches no subscription
    expect(summary(known.removed(ev('s.a', '1')))).toEqual(['removed s.a 1']);
    expect(known.removed(ev('s.a', '1'))).toEqual([]);
  });

  it('after a reconnect: vanished → removed, new → added, changed → added again, unchanged → nothing', () => {
    const known = new KnownBrewers();
    known.beginSnapshot('s.**');
    for (const e of [ev('s.gone', 'g'), ev('s.same', 's', { port: 1 }), ev('s.changed', 'c', { port: 1 })]) known.notify(e);
    expect(summary(known.endSnapshot('s.**')).sort()).toEqual(['added s.changed c', 'added s.gone g', 'added s.same s']);

    known.abortSnapshots(); // the session dropped
    known.beginSnapshot('s.**'); // the new session's subscribe
    for (const e of [ev('s.same', 's', { port: 1 }), ev('s.changed', 'c', { port: 2 }), ev('s.new', 'n')]) {
      expect(known.notify(e)).toEqual([]); // collected, not reported before the snapshot is complete
    }
    expect(summary(known.endSnapshot('s.**'))).toEqual(['removed s.gone g', 'added s.changed c', 'added s.new n']);
    expect(known.list().map((b) => b.brewer.uuid).sort()).toEqual(['c', 'n', 's']);
  });

  it('a brewer two patterns cover leaves the view only when the last one no longer holds it', () => {
    const known = new KnownBrewers();
    for (const p of ['a.*', 'a.**']) known.beginSnapshot(p);
    known.notify(ev('a.b', 'x'));
    expect(summary(known.endSnapshot('a.*'))).toEqual(['added a.b x']);
    expect(known.endSnapshot('a.**')).toEqual([]);
    // Reconnect; x vanished.
    for (const p of ['a.*', 'a.**']) known.beginSnapshot(p);
    expect(known.endSnapshot('a.*')).toEqual([]); // a.** still holds it as far as we know
    expect(summary(known.endSnapshot('a.**'))).toEqual(['removed a.b x']);
  });

  it('a removal during a snapshot drops the brewer from it; a session lost mid-snapshot keeps what we knew', () => {
    const known = new KnownBrewers();
    known.beginSnapshot('t.*');
    known.notify(ev('t.a', 'a'));
    known.endSnapshot('t.*');
    known.beginSnapshot('t.*');
    known.notify(ev('t.b', 'b'));
    known.removed(ev('t.b', 'b'));
    known.abortSnapshots();
    expect(known.list().map((b) => b.brewer.uuid)).toEqual(['a']);
    known.beginSnapshot('t.*');
    known.notify(ev('t.a', 'a'));
    expect(known.endSnapshot('t.*')).toEqual([]);
  });

  it('forgetting a pattern removes what no other pattern covers', () => {
    const known = new KnownBrewers();
    for (const p of ['a.*', 'b.*']) {
      known.beginSnapshot(p);
      known.endSnapshot(p);
    }
    known.notify(ev('a.x', '1'));
    known.notify(ev('b.x', '2'));
    expect(summary(known.forget('a.*'))).toEqual(['removed a.x 1']);
    expect(known.forget('a.*')).toEqual([]);
    expect(known.list().map((b) => b.brewer.uuid)).toEqual(['2']);
  });
});
