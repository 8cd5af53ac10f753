import { describe, expect, it } from 'vitest';
import { SessionSubscriptions } from '../../../src/core/sessions/sessionSubscriptions.js';

const sub = (source: string): { pattern: { source: string } } => ({ pattern: { source } });

describe('SessionSubscriptions', () => {
  it('behaves as a Map keyed by pattern source, from none to one to many and back', () => {
    const subs = new SessionSubscriptions<ReturnType<typeof sub>>();
    expect(subs.size).toBe(0);
    expect([...subs.values()]).toEqual([]);
    const a = sub('a.*');
    subs.set('a.*', a);
    expect(subs.size).toBe(1);
    expect(subs.get('a.*')).toBe(a);
    expect(subs.has('b')).toBe(false);
    const again = sub('a.*');
    subs.set('a.*', again); // the same pattern replaces, as Map.set does
    expect(subs.size).toBe(1);
    expect(subs.get('a.*')).toBe(again);
    const b = sub('b');
    const c = sub('c.**');
    subs.set('b', b);
    subs.set('c.**', c);
    expect(subs.size).toBe(3);
    expect([...subs.keys()]).toEqual(['a.*', 'b', 'c.**']);
    expect([...subs.values()]).toEqual([again, b, c]);
    expect(subs.delete('b')).toBe(true);
    expect(subs.delete('b')).toBe(false);
    expect(subs.get('c.**')).toBe(c);
    expect(subs.delete('a.*')).toBe(true);
    expect(subs.delete('c.**')).toBe(true);
    expect(subs.size).toBe(0);
    expect(subs.delete('zzz')).toBe(false);
  });

  it('a snapshot of values() may be taken while entries go (as enforceGrants and dropAll do)', () => {
    const subs = new SessionSubscriptions<ReturnType<typeof sub>>();
    for (const source of ['x', 'y', 'z']) subs.set(source, sub(source));
    for (const s of [...subs.values()]) subs.delete(s.pattern.source);
    expect(subs.size).toBe(0);
    subs.set('only', sub('only'));
    for (const s of [...subs.values()]) subs.delete(s.pattern.source);
    expect(subs.size).toBe(0);
  });
});
