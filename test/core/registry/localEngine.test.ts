import { describe, expect, it } from 'vitest';
import type { Applied, Proposal } from '../../../src/core/registry/changes.js';
import { LocalRegistryEngine } from '../../../src/core/registry/localEngine.js';
import type { SessionRef } from '../../../src/core/sessions/sessionRef.js';

const A: SessionRef = { node: 'n', session: 'a' };
const B: SessionRef = { node: 'n', session: 'b' };

const put = (topic: string, uuid: string, owner: SessionRef, extra: Record<string, unknown> = {}, sub = 'alice'): Proposal => {
  const brewer = { uuid, ...extra };
  return { kind: 'brewer.put', topic, segments: topic.split('.'), brewer, canonical: JSON.stringify(brewer), sub, owner };
};

/** The engine and every applied change it told, as `kind topic/uuid` lines. */
function engine() {
  const e = new LocalRegistryEngine('n');
  const told: string[] = [];
  const line = (c: Applied): string => {
    if ('registration' in c) return `${c.kind} ${c.registration.topic}/${c.registration.uuid} @${c.registration.owner.session}`;
    if ('patron' in c) return `${c.kind} ${c.patron.topic}/${c.patron.patronId}`;
    return `${c.kind} ${c.uri} @${c.owner.session}`;
  };
  e.onApplied((c) => told.push(line(c)));
  const applied = (proposal: Proposal): string[] => {
    const result = e.propose(proposal);
    if (!result.ok) throw result.error;
    return result.value.map(line);
  };
  return { e, told, applied };
}

describe('core: the in-process registry engine', () => {
  it('applies in order and tells each applied change as it returns it: added, unchanged, moved, replaced, removed', () => {
    const { e, told, applied } = engine();
    expect(applied(put('t.a', 'u', A))).toEqual(['brewer.added t.a/u @a']);
    expect(applied(put('t.a', 'u', A))).toEqual([]);
    expect(applied(put('t.a', 'u', B))).toEqual(['brewer.moved t.a/u @b']);
    expect(applied(put('t.a', 'u', B, { port: 1 }))).toEqual(['brewer.replaced t.a/u @b']);
    expect(applied({ kind: 'brewer.remove', topic: 't.a', uuid: 'u', owner: A })).toEqual([]);
    expect(applied({ kind: 'brewer.remove', topic: 't.a', uuid: 'u', owner: B })).toEqual(['brewer.removed t.a/u @b']);
    expect(told).toEqual(['brewer.added t.a/u @a', 'brewer.moved t.a/u @b', 'brewer.replaced t.a/u @b', 'brewer.removed t.a/u @b']);
    expect(e.registry.size).toBe(0);
    expect(e.registry.countHeldBy(B)).toBe(0);
  });

  it('re-checks uuid ownership: another sub is refused and nothing changes', () => {
    const { e, told, applied } = engine();
    applied(put('t.a', 'u', A));
    const refused = e.propose(put('t.b', 'u', B, {}, 'mallory'));
    expect(refused.ok ? undefined : refused.error.code).toBe('LACK_PERMISSIONS');
    const removal = e.propose({ kind: 'brewer.remove', topic: 't.a', uuid: 'u', sub: 'mallory' });
    expect(removal.ok ? undefined : removal.error.code).toBe('LACK_PERMISSIONS');
    expect(told).toEqual(['brewer.added t.a/u @a']);
    expect(e.registry.ownerOf('u')).toBe('alice');
  });

  it('a URI claim moves the previous holder\'s brewers, removes those it must drop, then tells the claim', () => {
    const { e, applied } = engine();
    applied({ kind: 'uri.claim', uri: 'pcp://a/x', owner: A, drop: [] });
    applied(put('k.1', 'u1', A));
    applied(put('k.2', 'u2', A));
    expect(applied({ kind: 'uri.claim', uri: 'pcp://a/x', owner: B, drop: [{ topic: 'k.2', uuid: 'u2' }] })).toEqual([
      'brewer.moved k.1/u1 @b',
      'brewer.moved k.2/u2 @b',
      'brewer.removed k.2/u2 @b',
      'uri.claimed pcp://a/x @b',
    ]);
    expect(e.uris.holderOf('pcp://a/x')).toEqual(B);
    expect(e.uris.uriOf(A)).toBeUndefined();
  });

  it('a session\'s release removes its patrons, then its brewers, then its URI; a release during an apply waits for it', () => {
    const { e, told, applied } = engine();
    applied({ kind: 'uri.claim', uri: 'pcp://a/x', owner: A, drop: [] });
    applied(put('k.1', 'u1', A));
    applied({ kind: 'patron.put', owner: A, topic: 'k.*', segments: ['k', '*'], patronId: 'p', brews: [], canonical: '[]' });
    applied(put('z.1', 'z1', B));
    told.length = 0;
    // A listener that ends a session in the middle of an apply (as supersession does).
    let releasedInside = false;
    e.onApplied((c) => {
      if (c.kind === 'brewer.added' && !releasedInside) {
        releasedInside = true;
        e.release(A);
        expect(() => e.propose(put('q.q', 'q', B))).toThrow('A registry change was proposed while another was being applied.');
      }
    });
    applied(put('z.2', 'z2', B));
    expect(told).toEqual(['brewer.added z.2/z2 @b', 'patron.removed k.*/p', 'brewer.removed k.1/u1 @a', 'uri.released pcp://a/x @a']);
    expect(e.patrons.size).toBe(0);
    expect(e.registry.size).toBe(2);
  });
});
