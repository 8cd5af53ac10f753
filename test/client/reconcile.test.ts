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

  it('after a reconnect: new → added, changed → added again, unchanged → nothing, vanished → removed once settled', () => {
    const known = new KnownBrewers();
    known.beginSnapshot('s.**');
    for (const e of [ev('s.gone', 'g'), ev('s.same', 's', { port: 1 }), ev('s.changed', 'c', { port: 1 })]) known.notify(e);
    expect(summary(known.endSnapshot('s.**')).sort()).toEqual(['added s.changed c', 'added s.gone g', 'added s.same s']);

    known.abortSnapshots(); // the session dropped
    known.beginSnapshot('s.**'); // the new session's subscribe
    for (const e of [ev('s.same', 's', { port: 1 }), ev('s.changed', 'c', { port: 2 }), ev('s.new', 'n')]) {
      expect(known.notify(e)).toEqual([]); // collected, not reported before the snapshot is complete
    }
    expect(summary(known.endSnapshot('s.**'))).toEqual(['added s.changed c', 'added s.new n']);
    expect(known.hasPendingRemovals()).toBe(true);
    expect(known.list().map((b) => b.brewer.uuid).sort()).toEqual(['c', 'g', 'n', 's']); // g only pending
    expect(summary(known.settleRemovals())).toEqual(['removed s.gone g']);
    expect(known.hasPendingRemovals()).toBe(false);
    expect(known.settleRemovals()).toEqual([]);
    expect(known.list().map((b) => b.brewer.uuid).sort()).toEqual(['c', 'n', 's']);
  });

  it('a brewer the snapshot lacked that is notified live before the window closes is never reported; a changed one is added', () => {
    const known = new KnownBrewers();
    known.beginSnapshot('s.**');
    for (const e of [ev('s.late', 'l', { port: 1 }), ev('s.moved', 'm', { port: 1 }), ev('s.gone', 'g')]) known.notify(e);
    known.endSnapshot('s.**');
    known.abortSnapshots();
    known.beginSnapshot('s.**');
    expect(known.endSnapshot('s.**')).toEqual([]); // a restarted server that knows nothing yet
    expect(known.notify(ev('s.late', 'l', { port: 1 }))).toEqual([]); // its owner replayed it: unchanged
    expect(summary(known.notify(ev('s.moved', 'm', { port: 2 })))).toEqual(['added s.moved m']);
    expect(known.hasPendingRemovals()).toBe(true); // g still missing
    expect(summary(known.settleRemovals())).toEqual(['removed s.gone g']);
    expect(known.list().map((b) => b.brewer.uuid).sort()).toEqual(['l', 'm']);
  });

  it('a live removal of a pending brewer is reported at once, and a session lost in the window keeps the brewer for the next snapshot', () => {
    const known = new KnownBrewers();
    known.beginSnapshot('s.*');
    for (const e of [ev('s.a', 'a'), ev('s.b', 'b')]) known.notify(e);
    known.endSnapshot('s.*');
    known.beginSnapshot('s.*');
    expect(known.endSnapshot('s.*')).toEqual([]);
    expect(summary(known.removed(ev('s.a', 'a')))).toEqual(['removed s.a a']);
    known.abortSnapshots(); // dropped within the window: b is not decided on this session
    expect(known.hasPendingRemovals()).toBe(false);
    expect(known.settleRemovals()).toEqual([]);
    expect(known.list().map((b) => b.brewer.uuid)).toEqual(['b']);
    known.beginSnapshot('s.*');
    known.notify(ev('s.b', 'b'));
    expect(known.endSnapshot('s.*')).toEqual([]);
    expect(known.hasPendingRemovals()).toBe(false);
  });

  it('a brewer two patterns cover leaves the view only when the last one no longer holds it', () => {
    const known = new KnownBrewers();
    for (const p of ['a.*', 'a.**']) known.beginSnapshot(p);
    known.notify(ev('a.b', 'x'));
    expect(summary(known.endSnapshot('a.*'))).toEqual(['added a.b x']);
    expect(known.endSnapshot('a.**')).toEqual([]);
    // Reconnect; x vanished.
    for (const p of ['a.*', 'a.**']) known.beginSnapshot(p);
    expect(known.endSnapshot('a.*')).toEqual([]);
    expect(known.endSnapshot('a.**')).toEqual([]);
    expect(summary(known.settleRemovals())).toEqual(['removed a.b x']); // once, though both lost it
    // Only one pattern loses it: the other still holds it.
    known.notify(ev('a.b', 'x'));
    known.beginSnapshot('a.*');
    expect(known.endSnapshot('a.*')).toEqual([]);
    expect(known.settleRemovals()).toEqual([]);
    expect(known.list()).toEqual([ev('a.b', 'x')]);
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
