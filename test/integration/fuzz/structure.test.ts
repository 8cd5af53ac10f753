// Structure-aware fuzzing of every surface that carries JSON payloads: each field of a valid
// message (nested brewer objects and array items included), one at a time, replaced by a value of
// every JSON type, by `{"length": …}`, by an object with Object.prototype's names as own keys, by
// 200 levels of nesting; removed; and every object level joined by those keys
// (test/helpers/fuzz/structure.ts). A wrong type is "Invalid payload" naming the field
// (CONTRACT §6b), an envelope's "Could not decode message", an admin command's 400; never
// "Internal error", never an error-level log line. The attacker's session stays open and holds only
// what the server accepted from it; the bystanders (test/helpers/fuzz/bystanders.ts) see nothing.
import { describe, expect, it } from 'vitest';
import { writeChunks } from '../../../src/protocol/pcp-v1/chunks.js';
import { encodeV1FrameJson } from '../../../src/protocol/pubkeeper-v1/frame.js';
import { checkBystanders, openBystanders, type Bystanders } from '../../helpers/fuzz/bystanders.js';
import { Rng } from '../../helpers/fuzz/rng.js';
import { ATTACKER, ATTACKER_RIGHTS, SEED, startFuzzServer, V1_URI, V2_URI } from '../../helpers/fuzz/setup.js';
import { binary, text, type FuzzSocket } from '../../helpers/fuzz/socket.js';
import { render, under, type Edit } from '../../helpers/fuzz/structure.js';
import { adminCatalogue, jsonCatalogue, pcpV1Catalogue, pcpV2Catalogue, v1Catalogue, type Entry } from '../../helpers/fuzz/structureCatalogue.js';
import {
  ADMIN_JUDGE,
  checkHoldings,
  errorLogs,
  judge,
  PCP_JUDGE,
  PK_JUDGE,
  probesOf,
  runAdmin,
  runJson,
  runPcp,
  runV1,
  type Built,
  type Judge,
  type Probe,
} from '../../helpers/fuzz/structureRigs.js';
import { eventually } from '../../helpers/relay.js';
import { captureLogger, type TestServer } from '../../helpers/server.js';

const WHERE = `(FUZZ_SEED=${SEED})`;
/** Each case sends 500 to 1,600 frames (the admin one 460 requests): bounded well above what they take. */
const TIMEOUT_MS = 30_000;

interface Arena {
  t: TestServer;
  relayPort: number;
  by: Bystanders;
  logs: string[];
  token: string;
}

/** A server whose error budget and refresh budget never cut the attacker, its logs captured, and the bystanders. */
async function arena(): Promise<Arena> {
  const { logger, lines } = captureLogger('warn');
  const { t, relayPort } = await startFuzzServer({ logger, config: { maxErrorsPer10s: 1_000_000, maxTokenRefreshesPer10s: 1_000_000 } });
  const by = await openBystanders(t, relayPort);
  return { t, relayPort, by, logs: lines, token: t.keys.mint(ATTACKER, ATTACKER_RIGHTS) };
}

/** Every probe answered as its mutation expects, the registry as accepted, no error log; then the session ends clean. */
async function settle(a: Arena, probes: readonly Probe[], answers: readonly string[][], j: Judge, socket: FuzzSocket): Promise<void> {
  expect.soft(judge(probes, answers, j), `answers ${WHERE}`).toEqual([]);
  expect.soft(socket.violations, `malformed frames from the server ${WHERE}`).toEqual([]);
  expect.soft(socket.closedWith, 'the attacker session stays open').toBeUndefined();
  expect.soft(checkHoldings(a.t, probes, answers, j), `what the attacker holds ${WHERE}`).toEqual([]);
  expect.soft(errorLogs(a.logs), `error-level log lines ${WHERE}`).toEqual([]);
  await socket.close(1000);
  const { hub } = a.t.server;
  await eventually(() => [...hub.sessions].every((s) => s.sub !== ATTACKER));
  // Only the bystanders' three brewers, one patron and three subscriptions are left.
  expect(hub.registry.size).toBe(3);
  expect(hub.patrons.size).toBe(1);
  expect(hub.subscriptions.size).toBe(3);
  await checkBystanders(a.t, a.by, a.relayPort);
}

const asText = (entry: Entry, edit?: Edit): Built => {
  const payload = render(entry.base, edit);
  return { frame: text(`[${String(entry.id)},${payload}]`), payload };
};

/** The JSON text of a message's `data` as mutated ('' when the edit removed it). */
const dataOf = (entry: Entry, edit?: Edit): string =>
  edit?.kind === 'remove' && edit.path.length === 1 && edit.path[0] === 'data' ? '' : render((entry.base as { data: unknown }).data, under(edit, 'data'));

describe('fuzz: every field of every valid message, of every type', () => {
  it('JSON dialect (/ws): payloads of AUTHENTICATE, BREWER_(UN)REGISTER, (UN)SUBSCRIBE', async () => {
    const a = await arena();
    const probes = probesOf(new Rng(SEED + 400), jsonCatalogue(a.token), asText);
    const { answers, socket } = await runJson(a.t, a.token, probes);
    await settle(a, probes, answers, PK_JUDGE, socket);
  }, TIMEOUT_MS);

  it('1.x dialect (/ws, pubkeeper-1.1): payloads of every client packet', async () => {
    const a = await arena();
    const build = (entry: Entry, edit?: Edit): Built => {
      const payload = render(entry.base, edit);
      return { frame: binary(encodeV1FrameJson('1.1', entry.id ?? 0, payload)), payload };
    };
    const probes = probesOf(new Rng(SEED + 401), v1Catalogue(a.token), build);
    const { answers, socket } = await runV1(a.t, a.token, probes);
    await settle(a, probes, answers, PK_JUDGE, socket);
  }, TIMEOUT_MS);

  it('PCP v2: envelopes, and the data of inventory_request and pubkeeper/*', async () => {
    const a = await arena();
    const rng = new Rng(SEED + 402);
    const build = (entry: Entry, edit?: Edit): Built => ({ frame: text(render(entry.base, edit)), payload: dataOf(entry, edit) });
    const probes = probesOf(rng, pcpV2Catalogue(rng, V2_URI, a.token), build);
    const { answers, socket } = await runPcp(a.t, 'v2', V2_URI, a.token, probes);
    await settle(a, probes, answers, PCP_JUDGE, socket);
  }, TIMEOUT_MS);

  it('PCP v1: envelope chunks, and the data chunks of inventory_request and pubkeeper/*', async () => {
    const a = await arena();
    const rng = new Rng(SEED + 403);
    const build = (entry: Entry, edit?: Edit): Built => {
      const envelope = render((entry.base as { envelope: unknown }).envelope, under(edit, 'envelope'));
      const payload = dataOf(entry, edit);
      return { frame: binary(writeChunks(Buffer.from(envelope), Buffer.from(payload))), payload };
    };
    const probes = probesOf(rng, pcpV1Catalogue(rng, V1_URI, a.token), build);
    const { answers, socket } = await runPcp(a.t, 'v1', V1_URI, a.token, probes);
    await settle(a, probes, answers, PCP_JUDGE, socket);
  }, TIMEOUT_MS);

  it('admin API: POST /commands with every command object mutated: 400 {error}, never 500, nothing queued', async () => {
    const a = await arena();
    const adminToken = a.t.keys.mint('fzadmin', ['admin:*']);
    const probes = probesOf(new Rng(SEED + 404), adminCatalogue(), (entry, edit) => ({ frame: text(render(entry.base, edit)), payload: '' }));
    const { answers, queued } = await runAdmin(a.t, adminToken, probes);
    expect.soft(judge(probes, answers, ADMIN_JUDGE), `answers ${WHERE}`).toEqual([]);
    expect(answers.filter((_, i) => probes[i]?.expect === 'base'), 'the valid commands are queued').toEqual(adminCatalogue().map(() => ['200']));
    // Exactly the commands answered 200 were queued, and each of them ran to an end.
    const listed = async (): Promise<{ uuid: string; status: string }[]> => {
      const res = await fetch(`http://127.0.0.1:${a.t.port}/commands?limit=1000`, { headers: { authorization: `Bearer ${adminToken}` } });
      return ((await res.json()) as { commands: { uuid: string; status: string }[] }).commands;
    };
    let commands = await listed();
    for (let round = 0; commands.some((c) => c.status === 'queued' || c.status === 'retrying') && round < 400; round++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      commands = await listed();
    }
    expect(commands.map((c) => c.uuid).sort()).toEqual([...queued].sort());
    expect(commands.filter((c) => c.status !== 'done' && c.status !== 'failed')).toEqual([]);
    expect.soft(errorLogs(a.logs), `error-level log lines ${WHERE}`).toEqual([]);
    expect((await fetch(`http://127.0.0.1:${a.t.port}/healthz`)).status).toBe(200);
    await checkBystanders(a.t, a.by, a.relayPort);
  }, TIMEOUT_MS);
});
