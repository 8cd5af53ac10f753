import { describe, expect, it } from 'vitest';
import type { Applied, ClusterNotice } from '../../src/core/registry/changes.js';
import { canonicalJson } from '../../src/core/registry/canonicalJson.js';
import { parseEntry, type LogOp } from '../../src/server/cluster/logOps.js';
import { Replica } from '../../src/server/cluster/replica.js';

/** Ops as a script writes them, parsed as a node reads them. */
function ops(...raw: unknown[][]): LogOp[] {
  const entry = parseEntry(JSON.stringify(raw));
  if ('error' in entry) throw new Error(entry.error);
  return entry.ops;
}

const put = (topic: string, brewer: { uuid: string } & Record<string, unknown>, sub: string, node: string, session: string): unknown[] => [
  'b+',
  topic,
  brewer.uuid,
  JSON.stringify(brewer),
  canonicalJson(brewer),
  sub,
  node,
  session,
];

function rig() {
  const told: string[] = [];
  const notices: [ClusterNotice, string][] = [];
  const reaped: string[] = [];
  const replica = new Replica({
    applied: (change) => told.push(said(change)),
    notice: (notice, from) => notices.push([notice, from]),
    reaped: (node) => reaped.push(node),
  });
  const apply = (...raw: unknown[][]): string[] => {
    const out: Applied[] = [];
    for (const op of ops(...raw)) replica.apply(op, out);
    return out.map(said);
  };
  return { replica, told, notices, reaped, apply };
}

function said(change: Applied): string {
  switch (change.kind) {
    case 'brewer.added':
    case 'brewer.removed':
    case 'brewer.replaced':
    case 'brewer.moved':
      return `${change.kind} ${change.registration.topic}/${change.registration.uuid}@${change.registration.owner.session}`;
    case 'patron.added':
    case 'patron.removed':
    case 'patron.replaced':
      return `${change.kind} ${change.patron.topic}/${change.patron.patronId}`;
    case 'uri.claimed':
      return `${change.kind} ${change.uri}@${change.owner.session}${change.previous ? ` from ${change.previous.session}` : ''}`;
    case 'uri.released':
      return `${change.kind} ${change.uri}`;
  }
}

describe("a node's copy of the shared registry", () => {
  it('tells what an op changed, and nothing for an op it already reflects', () => {
    const { apply, replica } = rig();
    expect(apply(put('a.b', { uuid: 'u1', v: 1 }, 'alice', 'n1', 's1'))).toEqual(['brewer.added a.b/u1@s1']);
    expect(apply(put('a.b', { v: 1, uuid: 'u1' }, 'alice', 'n1', 's1'))).toEqual([]);
    expect(apply(put('a.b', { uuid: 'u1', v: 1 }, 'alice', 'n2', 's9'))).toEqual(['brewer.moved a.b/u1@s9']);
    expect(apply(put('a.b', { uuid: 'u1', v: 2 }, 'alice', 'n2', 's9'))).toEqual(['brewer.replaced a.b/u1@s9']);
    expect(apply(['b-', 'a.b', 'u1'], ['b-', 'a.b', 'u1'])).toEqual(['brewer.removed a.b/u1@s9']);
    expect(replica.registry.size).toBe(0);
  });

  it('keeps uuid reservations, patrons and URIs, and passes notices and reaps on', () => {
    const { apply, replica, notices, reaped } = rig();
    apply(['r', 'u7', 'alice', Date.now() + 60_000]);
    expect(replica.registry.ownerOf('u7')).toBe('alice');
    expect(apply(['p+', 'n1', 's1', 'a.*', 'p1', '[{"name":"ws"}]', '[{"name":"ws"}]'])).toEqual(['patron.added a.*/p1']);
    expect(apply(['p+', 'n1', 's1', 'a.*', 'p1', '[{"name":"ws"}]', '[{"name":"ws"}]'])).toEqual([]);
    expect(apply(['p+', 'n1', 's1', 'a.*', 'p1', '[{"name":"tcp"}]', '[{"name":"tcp"}]'])).toEqual(['patron.replaced a.*/p1']);
    expect(apply(['p-', 'n1', 's1', 'a.*', 'p1'])).toEqual(['patron.removed a.*/p1']);
    expect(apply(['u+', 'pcp://a/agent', 'n1', 's1'], ['u+', 'pcp://a/agent', 'n1', 's1'])).toEqual(['uri.claimed pcp://a/agent@s1']);
    expect(apply(['u+', 'pcp://a/agent', 'n2', 's2'])).toEqual(['uri.claimed pcp://a/agent@s2 from s1']);
    expect(apply(['u-', 'pcp://a/agent'], ['u-', 'pcp://a/agent'])).toEqual(['uri.released pcp://a/agent']);
    apply(['n', 'kick', '{"sub":"bob"}', 'n2'], ['x', 'n3']);
    expect(notices).toEqual([[{ kind: 'kick', target: { sub: 'bob' } }, 'n2']]);
    expect(reaped).toEqual(['n3']);
  });

  it('made to match a snapshot, tells only the difference: gone first, then new or changed; unchanged brewers are told to nobody', () => {
    const { apply, replica, told } = rig();
    apply(
      put('keep', { uuid: 'k' }, 'a', 'n1', 's1'),
      put('gone', { uuid: 'g' }, 'a', 'n1', 's1'),
      put('change', { uuid: 'c', v: 1 }, 'a', 'n1', 's1'),
      ['u+', 'pcp://gone/agent', 'n1', 's1'],
    );
    told.length = 0;
    const state = {
      registrations: ops(put('keep', { uuid: 'k' }, 'a', 'n1', 's1'), put('change', { uuid: 'c', v: 2 }, 'a', 'n1', 's1'), put('new', { uuid: 'n' }, 'b', 'n2', 's2')) as never,
      patrons: [],
      uris: ops(['u+', 'pcp://new/agent', 'n2', 's2']) as never,
      reservations: [],
    };
    replica.resync(state, []);
    expect(told).toEqual([
      'brewer.removed gone/g@s1',
      'uri.released pcp://gone/agent',
      'brewer.replaced change/c@s1',
      'brewer.added new/n@s2',
      'uri.claimed pcp://new/agent@s2',
    ]);
    expect(replica.registry.size).toBe(3);
  });
});
