import { describe, expect, it } from 'vitest';
import type { Applied } from '../../src/core/registry/changes.js';
import { canonicalJson } from '../../src/core/registry/canonicalJson.js';
import { STATIC_OWNER, STATIC_SUB } from '../../src/core/registry/staticOwner.js';
import { parseEntry } from '../../src/server/cluster/logOps.js';
import { Replica } from '../../src/server/cluster/replica.js';
import { ownerNodes, parseRevoked, parseSnapshot, restorePayload } from '../../src/server/cluster/sharedState.js';

const put = (topic: string, uuid: string, sub: string, node: string, session: string): unknown[] => {
  const brewer = { uuid };
  return ['b+', topic, uuid, JSON.stringify(brewer), canonicalJson(brewer), sub, node, session];
};

function replicaWith(...raw: unknown[][]): { replica: Replica; apply: (...more: unknown[][]) => Applied[] } {
  const replica = new Replica({ applied: () => undefined, notice: () => undefined, reaped: () => undefined });
  const apply = (...more: unknown[][]): Applied[] => {
    const entry = parseEntry(JSON.stringify(more));
    if ('error' in entry) throw new Error(entry.error);
    const out: Applied[] = [];
    for (const op of entry.ops) replica.apply(op, out);
    return out;
  };
  if (raw.length > 0) apply(...raw);
  return { replica, apply };
}

describe('what a node puts back when it joins again', () => {
  it("is what this node's live sessions hold and every static brewer; not another node's, nor an ended session's", () => {
    const { replica } = replicaWith(
      put('mine', 'm', 'alice', 'n1.a', 's1'),
      put('ended', 'e', 'alice', 'n1.a', 's2'),
      put('theirs', 't', 'bob', 'n2.b', 's9'),
      put('static', 'st', STATIC_SUB, STATIC_OWNER.node, STATIC_OWNER.session),
      ['p+', 'n1.a', 's1', 'p.*', 'pid', '[]', '[]'],
      ['u+', 'pcp://alice/agent', 'n1.a', 's1'],
      ['u+', 'pcp://bob/agent', 'n2.b', 's9'],
    );
    const payload = restorePayload(replica, [], 'n1.a', (owner) => owner.session === 's2', { jtis: ['j1'], subs: ['mallory'] });
    expect(payload.sessions).toEqual(['s1']);
    expect(payload.regs.map((r) => (r as string[])[0]).sort()).toEqual(['mine', 'static']);
    expect(payload.patrons).toEqual([['s1', 'p.*', 'pid', '[]', '[]']]);
    expect(payload.uris).toEqual([['pcp://alice/agent', 's1']]);
    expect(payload.revoked).toEqual(['j\u0000j1', 's\u0000mallory']);
    expect([...ownerNodes(replica, 'n1.a')]).toEqual(['n2.b']);
  });

  it('includes what a reap of this node took from its live sessions, though the copy no longer has it', () => {
    const { replica, apply } = replicaWith(put('kept', 'k', 'alice', 'n1.a', 's1'), ['u+', 'pcp://alice/agent', 'n1.a', 's1']);
    const lost = apply(['b-', 'kept', 'k'], ['u-', 'pcp://alice/agent'], ['x', 'n1.a']);
    expect(replica.registry.size).toBe(0);
    const payload = restorePayload(replica, lost, 'n1.a', () => false, { jtis: [], subs: [] });
    expect(payload.regs.map((r) => (r as string[])[0])).toEqual(['kept']);
    expect(payload.uris).toEqual([['pcp://alice/agent', 's1']]);
    expect(payload.sessions).toEqual(['s1']);
  });
});

describe('a snapshot read from Redis', () => {
  it('keeps the values a node writes and reports each other one', () => {
    const invalid: string[] = [];
    const state = parseSnapshot(
      {
        regs: [JSON.stringify(put('a.b', 'u', 's', 'n', 'x').slice(1)), '[1,2,3]'],
        patrons: [JSON.stringify(['n', 'x', 'p.*', 'pid', '[]', '[]']), 'nope'],
        uris: ['pcp://a/agent', '["n","x"]', 'pcp://b/agent', '{}'],
        reservations: ['u', '["s", 1733000000000]', 'v', '["", 5]'],
      },
      (reason) => invalid.push(reason),
    );
    expect(state.registrations.map((r) => r.topic)).toEqual(['a.b']);
    expect(state.patrons.map((p) => p.patronId)).toEqual(['pid']);
    expect(state.uris.map((u) => u.uri)).toEqual(['pcp://a/agent']);
    expect(state.reservations).toEqual([{ op: 'r', uuid: 'u', sub: 's', until: 1733000000000 }]);
    expect(invalid).toHaveLength(4);
  });

  it('reads revocations by jti and by sub, and nothing else', () => {
    expect(parseRevoked(['j\u0000j1', 's\u0000alice', 'x\u0000what', 'j\u0000'])).toEqual([{ jti: 'j1' }, { sub: 'alice' }]);
  });
});
