import { describe, expect, it } from 'vitest';
import type { Applied } from '../../src/core/registry/changes.js';
import { AppliedLog } from '../../src/server/cluster/appliedLog.js';

/** A log whose entries are their own text, recorded in the order applied. */
function rig() {
  const applied: string[] = [];
  const log = new AppliedLog((seq, text) => {
    applied.push(`${seq}:${text}`);
    return [{ kind: 'uri.released', uri: text, owner: { node: 'n', session: String(seq) } }] as Applied[];
  });
  return { log, applied };
}

describe('the applied log', () => {
  it('applies entries once each, in seq order, whichever order and however often they come', () => {
    const { log, applied } = rig();
    log.offer(2, 'b');
    log.offer(3, 'c');
    expect(applied).toEqual([]);
    log.offer(1, 'a');
    log.offer(2, 'b');
    log.offer(1, 'a');
    expect(applied).toEqual(['1:a', '2:b', '3:c']);
    expect(log.seq).toBe(3);
    expect(log.hasNext()).toBe(false);
    log.offer(5, 'e');
    expect(log.hasNext()).toBe(false);
    log.offer(4, 'd');
    expect(applied.slice(3)).toEqual(['4:d', '5:e']);
  });

  it("resolves a proposer's wait with what its entry changed, whether the log brought it before or after the reply", async () => {
    const { log } = rig();
    log.offer(1, 'early');
    const before = await log.appliedAt(1, 'early');
    expect(before).toEqual([{ kind: 'uri.released', uri: 'early', owner: { node: 'n', session: '1' } }]);
    const after = log.appliedAt(3, 'third');
    log.offer(2, 'second');
    expect((await after).map((c) => (c as { uri: string }).uri)).toEqual(['third']);
  });

  it('holds entries while a snapshot is wanted; the snapshot takes the place of those it covers', async () => {
    const { log, applied } = rig();
    log.offer(1, 'a');
    log.hold();
    log.offer(2, 'b');
    const covered = log.appliedAt(3, 'c');
    log.offer(4, 'd');
    expect(applied).toEqual(['1:a']);
    log.jumpTo(3);
    expect(await covered).toEqual([]);
    log.resume();
    expect(applied).toEqual(['1:a', '4:d']);
  });

  it('starts again from the first entry in a new epoch, and nobody waits for the old one for ever', async () => {
    const { log, applied } = rig();
    log.offer(1, 'old');
    const lost = log.appliedAt(5, 'never');
    log.restart();
    expect(await lost).toEqual([]);
    log.offer(1, 'new');
    expect(applied).toEqual(['1:old', '1:new']);
  });
});
