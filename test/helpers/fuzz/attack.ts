// The promise of CONTRACT §6: "No session's fault, load or bad input may stop the server or touch
// another session's state." Each surface gets an attacker that sends seeded random and mutated
// frames (mutations of valid frames built with the project's codecs, random bytes, lying headers,
// wrong frame kinds, hostile strings and keys, deep nesting under the frame limit); bystanders on
// every dialect, opened before, must see nothing and keep working, and the process must still
// serve. Deterministic: one seed per run (FUZZ_SEED, FUZZ_FRAMES to go longer, FUZZ_VERBOSE=1 for
// what the server answered); the same seed makes the same choices (only token timestamps, `expires`
// and ws masking differ). No sleep anywhere: every wait is a request/response barrier on the socket
// concerned, or (after a close) a poll of the server's state.
//
// This is the harness: the rigs attack together, then the checks run; the tests, one file per
// surface, live in test/integration/fuzz/.
import { expect } from 'vitest';
import { decodeV1Frame } from '../../../src/protocol/pubkeeper-v1/frame.js';
import { V1Packet } from '../../../src/protocol/pubkeeper-v1/packets.js';
import { eventually } from '../relay.js';
import type { TestServer } from '../server.js';
import { checkBystanders, openBystanders } from './bystanders.js';
import { parsedV1, parsedV2 } from './checks.js';
import { JsonRig } from './jsonRig.js';
import { PcpRig } from './pcpRig.js';
import { RelayRig } from './relayRig.js';
import type { Rig } from './rig.js';
import { Rng } from './rng.js';
import { BYSTANDER, FRAMES, makeCtx, MAX_FRAME_BYTES, startFuzzServer, type Ctx } from './setup.js';
import { binary } from './socket.js';
import { V1Rig } from './v1Rig.js';

export type RigName = 'json' | 'json-unauth' | 'v1-1.1' | 'v1-1.0-unauth' | 'pcp-v2' | 'pcp-v1' | 'relay';

function makeRig(name: RigName, ctx: Ctx, rng: Rng): Rig {
  switch (name) {
    case 'json':
      return new JsonRig(ctx, rng, true);
    case 'json-unauth':
      return new JsonRig(ctx, rng, false);
    case 'v1-1.1':
      return new V1Rig(ctx, rng, '1.1', true);
    case 'v1-1.0-unauth':
      return new V1Rig(ctx, rng, '1.0', false);
    case 'pcp-v2':
      return new PcpRig(ctx, rng, 'v2');
    case 'pcp-v1':
      return new PcpRig(ctx, rng, 'v1');
    case 'relay':
      return new RelayRig(ctx, rng);
  }
}

export const RIG_NAMES: RigName[] = ['json', 'json-unauth', 'v1-1.1', 'v1-1.0-unauth', 'pcp-v2', 'pcp-v1', 'relay'];

/** Closes the rigs' sockets (a frame past the limit must close 1009), then checks nothing is left. */
async function endRigs(t: TestServer, rigs: Rig[]): Promise<void> {
  for (const rig of rigs) {
    const s = rig.main;
    if (!s || s.closedWith) continue;
    s.send(binary(Buffer.alloc(MAX_FRAME_BYTES + 1, 0x5b)));
    expect((await s.closed()).code, `${s.name}: a frame past the limit`).toBe(1009);
  }
  for (const s of rigs.flatMap((r) => r.sockets)) await s.close(1000);
  const stale = (): unknown[] => [...t.server.hub.sessions].filter((s) => s.sub !== BYSTANDER && s.sub !== 'late');
  await eventually(() => stale().length === 0);
  // Nothing of the attackers is left in the registry: only the bystanders' three brewers and patron.
  expect(t.server.hub.registry.size).toBe(3);
  expect(t.server.hub.patrons.size).toBe(1);
  expect(t.server.hub.subscriptions.size).toBe(3);
  await eventually(() => t.server.relay?.stats().connections === 2);
}

function checkRigs(rigs: Rig[], seed: number): void {
  const where = `(FUZZ_SEED=${seed})`;
  const violations = rigs.flatMap((r) => r.sockets.flatMap((s) => s.violations));
  expect(violations, `malformed frames from the server ${where}`).toEqual([]);
  const closes = rigs.flatMap((r) => r.sockets.map((s) => s.closeProblem())).filter((p) => p !== undefined);
  expect(closes, `close codes ${where}`).toEqual([]);
  expect(rigs.flatMap((r) => r.internal), `"Internal error" answers ${where}`).toEqual([]);
  const internalDeep = rigs.flatMap((r) => r.deepResults).filter((d) => d.internal);
  expect(internalDeep, `"Internal error" for deep nesting ${where}`).toEqual([]);
}

/** What the server answered, by kind: FUZZ_VERBOSE=1 prints it, to see what a seed reached. */
function summary(rigs: Rig[]): string {
  const lines: string[] = [];
  for (const rig of rigs) {
    const kinds = new Map<string, number>();
    for (const r of rig.sockets.flatMap((s) => s.received)) {
      let kind = r.isBinary ? `binary ${r.data.length > 1 ? r.data.readUInt16LE(0) : '?'}` : 'text';
      const textOf = r.data.toString('utf8');
      const pcp = parsedV2(r) ?? parsedV1(r);
      if (pcp) kind = `${pcp.message_type}${typeof pcp.data === 'string' ? ` ${pcp.data.split(':')[0]}` : ''}`;
      else if (!r.isBinary) kind = /^\[(\d+),(?:\{"message":"([^":]*))?/.exec(textOf)?.slice(1).filter(Boolean).join(' ') ?? 'text';
      else if (rig.name.startsWith('v1')) {
        const d = decodeV1Frame(rig.name.includes('1.0') ? '1.0' : '1.1', r.data);
        if (d.ok) kind = `${d.value.id}${d.value.id === V1Packet.ERROR ? ` ${String(d.value.payload.message).split(':')[0]}` : ''}`;
      }
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    lines.push(`${rig.name}: ${[...kinds].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n}× ${k}`).join(', ')}`);
    for (const d of rig.deepResults) lines.push(`  deep ${d.depth}${d.internal ? ' INTERNAL' : ''}: ${d.frame}`);
  }
  return lines.join('\n');
}

export async function attack(names: RigName[], seed: number): Promise<Rig[]> {
  const { t, relayPort } = await startFuzzServer();
  const by = await openBystanders(t, relayPort);
  const ctx = makeCtx(t, relayPort, new Rng(seed));
  const rigs = names.map((name, i) => makeRig(name, ctx, new Rng(seed * 31 + i + 1)));
  for (const rig of rigs) await rig.start();
  await Promise.all(rigs.map((rig) => rig.fuzz(FRAMES)));
  for (const rig of rigs) await rig.deep();
  // A last barrier on every socket, one after the other: whatever one attacker's frames made the
  // server send to another has arrived by then.
  for (const rig of rigs) await rig.barrier();
  if (process.env.FUZZ_VERBOSE) console.log(`seed ${seed}\n${summary(rigs)}`);
  checkRigs(rigs, seed);
  await endRigs(t, rigs);
  checkRigs(rigs, seed);
  await checkBystanders(t, by, relayPort);
  return rigs;
}
