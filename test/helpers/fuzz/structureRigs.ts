// Structure mutations (structure.ts) against one surface: every probe is sent with a barrier
// behind it, all pipelined; what came back is cut at each barrier's answer and judged against
// what the probe's mutation expects. Then what the attacker holds is held against what the server
// accepted, and the logs against error-level lines.
import { BROKER_URI, MessageType, type PcpMessage } from '../../../src/protocol/pcp/message.js';
import { writeChunks } from '../../../src/protocol/pcp-v1/chunks.js';
import { Packet } from '../../../src/protocol/pubkeeper/packets.js';
import { decodeV1Frame, encodeV1Frame } from '../../../src/protocol/pubkeeper-v1/frame.js';
import { V1Packet } from '../../../src/protocol/pubkeeper-v1/packets.js';
import type { TestServer } from '../server.js';
import { checkJson, checkPcpV1, checkPcpV2, checkV1, parsedV1, parsedV2 } from './checks.js';
import { isoIn } from './generators.js';
import type { Rng } from './rng.js';
import { ATTACKER } from './setup.js';
import { binary, describeFrame, FuzzSocket, text, type OutFrame, type Received } from './socket.js';
import { mutationsOf, namesField, shuffled, showPath, type Edit, type Expect, type Path } from './structure.js';
import type { Effect, Entry } from './structureCatalogue.js';

export interface Probe {
  readonly entry: string;
  readonly label: string;
  readonly expect: Expect | 'base';
  readonly path: Path;
  readonly frame: OutFrame;
  /** An AUTHENTICATE envelope: answered AUTHENTICATED too, whatever its payload. */
  readonly authenticates: boolean;
  readonly effect: Effect | undefined;
}

/** A probe's frame, and the JSON text of the payload its effect is read from ('' for none). */
export interface Built {
  frame: OutFrame;
  payload: string;
}

/** The valid messages first, then every mutation of every message, interleaved by the seed. */
export function probesOf(rng: Rng, entries: readonly Entry[], build: (entry: Entry, edit?: Edit) => Built): Probe[] {
  const probe = (entry: Entry, label: string, expect: Probe['expect'], edit?: Edit): Probe => {
    const { frame, payload } = build(entry, edit);
    const effect = entry.effect && payload !== '' ? entry.effect(JSON.parse(payload)) : undefined;
    return { entry: entry.name, label, expect, path: edit?.path ?? [], frame, authenticates: entry.id === Packet.AUTHENTICATE, effect };
  };
  const bases = entries.map((entry) => probe(entry, 'valid', 'base'));
  const mutated = entries.flatMap((entry) => mutationsOf(entry.base, entry.shape).map((m) => probe(entry, m.label, m.expect, m.edit)));
  return [...bases, ...shuffled(rng, mutated)];
}

export interface Judge {
  /** The error texts among the answers. */
  errors(answers: readonly string[]): string[];
  /** Texts an error may start with (CONTRACT §4, pcp.md §6). */
  readonly prefixes: readonly string[];
  /** A problem when the answers are not this surface's refusal of a wrong value at `path`. */
  refusal(path: Path, answers: readonly string[]): string | undefined;
  /** Did the server accept the message (for its effect on the registry)? */
  accepted(answers: readonly string[]): boolean;
}

/** Every probe's answers against its expectation: the problems, each with the frame that caused it. */
export function judge(probes: readonly Probe[], answers: readonly string[][], j: Judge): string[] {
  const base = new Map(probes.flatMap((p, i) => (p.expect === 'base' ? [[p.entry, answers[i] ?? []] as const] : [])));
  return probes.flatMap((p, i) => {
    const got = answers[i] ?? [];
    const errors = j.errors(got);
    let problem: string | undefined;
    if (errors.some((e) => e.startsWith('Internal error'))) problem = 'INTERNAL ERROR';
    else if (errors.some((e) => !j.prefixes.some((prefix) => e.startsWith(prefix)))) problem = 'an error outside the contract';
    else if (p.expect === 'same' && JSON.stringify(got) !== JSON.stringify(base.get(p.entry))) problem = `not the valid message's answer ${JSON.stringify(base.get(p.entry))}`;
    else if (p.expect === 'invalid') problem = j.refusal(p.path, got);
    else if (p.expect === 'base' && p.effect && !j.accepted(got)) problem = 'the valid message was refused';
    return problem ? [`${p.entry} | ${p.label}: ${problem}; got ${JSON.stringify(got)}\n    frame: ${describeFrame(p.frame, 400)}`] : [];
  });
}

const PK_PREFIXES = ['Unauthenticated Request', 'Lack Permissions for Request', 'Could not decode message', 'Unknown packet', 'Invalid payload', 'Limit exceeded'];
const PCP_PREFIXES = ['Could not decode message', 'Message not authenticated.', 'Multiple recipients no longer supported.', 'Not connected.', 'Unknown message type.', ...PK_PREFIXES, 'unauthorized'];
const INVALID = 'Invalid payload: ';

function payloadRefusal(path: Path, errors: readonly string[]): string | undefined {
  const [error] = errors;
  if (errors.length !== 1 || error === undefined || !error.startsWith(INVALID)) return 'not one "Invalid payload"';
  return namesField(error.slice(INVALID.length), path) ? undefined : `"Invalid payload" does not name ${showPath(path)}`;
}

const after = (prefix: string) => (answers: readonly string[]): string[] => answers.filter((a) => a.startsWith(prefix)).map((a) => a.slice(prefix.length));

/** The JSON dialect and the 1.x dialect: answers `ERROR <message>`, `AUTHENTICATED <bool>`, `<packet> …`. */
export const PK_JUDGE: Judge = {
  errors: after('ERROR '),
  prefixes: PK_PREFIXES,
  refusal: (path, answers) => payloadRefusal(path, after('ERROR ')(answers)),
  accepted: (answers) => !answers.some((a) => a.startsWith('ERROR ')),
};

/** PCP: answers `error <description>`, `unauthorized`, a broker type, or `deliver <type>`. */
export const PCP_JUDGE: Judge = {
  errors: (answers) => answers.flatMap((a) => (a.startsWith('error ') ? [a.slice(6)] : a === 'unauthorized' ? [a] : [])),
  prefixes: PCP_PREFIXES,
  refusal: (path, answers) => {
    if (path[0] === 'data') return payloadRefusal(path.slice(1), PCP_JUDGE.errors(answers));
    return answers.length === 1 && answers[0] === 'error Could not decode message' ? undefined : 'not "Could not decode message"';
  },
  accepted: (answers) => answers.includes('pubkeeper/ok'),
};

/** The admin API: answers `200`, `400`, or the status and body of anything else. */
export const ADMIN_JUDGE: Judge = {
  errors: (answers) => answers.filter((a) => a !== '200' && a !== '400'),
  prefixes: [],
  refusal: (_path, answers) => (answers[0] === '400' ? undefined : 'not 400'),
  accepted: (answers) => answers[0] === '200',
};

export interface Run {
  answers: string[][];
  socket: FuzzSocket;
}

/** JSON and 1.x: an AUTHENTICATE with the attacker's token after each probe; its AUTHENTICATED is the probe's last answer. */
async function counted(s: FuzzSocket, probes: readonly Probe[], barrier: OutFrame, isAuthenticated: (r: Received) => boolean, show: (r: Received) => string): Promise<Run> {
  let auths = 0;
  s.tap((r) => void (isAuthenticated(r) && auths++));
  s.send(barrier);
  await s.waitFor(() => auths === 1, 'the first AUTHENTICATED');
  const from = s.received.length;
  const ends: number[] = [];
  let total = 1;
  for (const p of probes) {
    s.send(p.frame);
    s.send(barrier);
    total += p.authenticates ? 2 : 1;
    ends.push(total);
  }
  await s.waitFor(() => auths >= total, `AUTHENTICATED #${total}`, 30_000);
  const answers = probes.map((): string[] => []);
  let i = 0;
  let seen = 1;
  for (const r of s.received.slice(from)) {
    if (i >= probes.length) break;
    if (isAuthenticated(r) && ++seen === ends[i]) i++;
    else answers[i]?.push(show(r));
  }
  return { answers, socket: s };
}

function showJson(r: Received): string {
  try {
    const [id, p] = JSON.parse(r.data.toString('utf8')) as [number, Record<string, unknown>];
    if (id === Packet.ERROR) return `ERROR ${String(p.message)}`;
    if (id === Packet.AUTHENTICATED) return `AUTHENTICATED ${String(p.authenticated)}`;
    return `${id} ${String(p.topic)}`;
  } catch {
    return `unreadable ${r.data.toString('utf8').slice(0, 80)}`;
  }
}

export async function runJson(t: TestServer, token: string, probes: readonly Probe[]): Promise<Run> {
  const s = await FuzzSocket.open('structure-json', t.url, ['pubkeeper.n.io'], checkJson);
  const isAuthenticated = (r: Received): boolean => !r.isBinary && r.data.subarray(0, 3).toString() === `[${Packet.AUTHENTICATED},`;
  return counted(s, probes, text(JSON.stringify([Packet.AUTHENTICATE, { token }])), isAuthenticated, showJson);
}

export async function runV1(t: TestServer, token: string, probes: readonly Probe[]): Promise<Run> {
  const s = await FuzzSocket.open('structure-1.1', t.url, ['pubkeeper-1.1'], checkV1('1.1'));
  const isAuthenticated = (r: Received): boolean => r.isBinary && r.data.length >= 2 && r.data.readUInt16LE(0) === V1Packet.CLIENT_AUTHENTICATED;
  const show = (r: Received): string => {
    const d = decodeV1Frame('1.1', r.data);
    if (!d.ok) return `unreadable ${r.data.subarray(0, 40).toString('hex')}`;
    const { id, payload } = d.value;
    if (id === V1Packet.ERROR) return `ERROR ${String(payload.message)}`;
    if (id === V1Packet.CLIENT_AUTHENTICATED) return `AUTHENTICATED ${String(payload.authenticated)}`;
    const list = payload.brewers ?? payload.patrons;
    return `${id}${Array.isArray(list) ? ` ${list.length}` : ''}`;
  };
  return counted(s, probes, binary(encodeV1Frame('1.1', V1Packet.CLIENT_AUTHENTICATE, { token })), isAuthenticated, show);
}

/** PCP: an associate_request after each probe; its associate_response is the probe's last answer. */
export async function runPcp(t: TestServer, version: 'v1' | 'v2', own: string, token: string, probes: readonly Probe[]): Promise<Run> {
  const type = own.slice(own.lastIndexOf('/') + 1);
  const check = version === 'v2' ? checkPcpV2(own) : checkPcpV1(own);
  const parse = version === 'v2' ? parsedV2 : parsedV1;
  const s = await FuzzSocket.open(`structure-pcp-${version}`, `${t.base}/pcp/${version}.0/${type}`, [], check, { headers: { authorization: `Bearer ${token}` } });
  const barrierId = (n: number): string => `b0000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const barrier = (n: number): OutFrame => {
    const id = barrierId(n);
    if (version === 'v2') return text(JSON.stringify({ id, message_type: MessageType.ASSOCIATE_REQUEST }));
    const envelope = { id, message_type: MessageType.ASSOCIATE_REQUEST, expires: isoIn(60_000), targets: [], sender: own };
    return binary(writeChunks(Buffer.from(JSON.stringify(envelope)), new Uint8Array(0)));
  };
  const isBarrier = (m: PcpMessage | undefined, n: number): boolean => m?.message_type === MessageType.ASSOCIATE_RESPONSE && m.in_reply_to === barrierId(n);
  let answered = 0;
  s.tap((r) => void (isBarrier(parse(r), answered + 1) && answered++));
  const from = s.received.length;
  probes.forEach((p, i) => {
    s.send(p.frame);
    s.send(barrier(i + 1));
  });
  await s.waitFor(() => answered >= probes.length, `associate_response #${probes.length}`, 30_000);
  const answers = probes.map((): string[] => []);
  let i = 0;
  for (const r of s.received.slice(from)) {
    const m = parse(r);
    if (isBarrier(m, i + 1)) i++;
    else if (m?.message_type !== MessageType.INVENTORY_UPDATE) answers[i]?.push(m ? showPcp(m) : 'undecodable');
  }
  return { answers, socket: s };
}

function showPcp(m: PcpMessage): string {
  if (m.sender !== BROKER_URI) return `deliver ${m.message_type}`;
  if (m.message_type === MessageType.ERROR) return `error ${typeof m.data === 'string' ? m.data : JSON.stringify(m.data)}`;
  return m.message_type.replace('http://puppetlabs.com/', '');
}

/** POST /commands with each probe's body, a few at a time: the answers, and the uuids of the queued. */
export async function runAdmin(t: TestServer, token: string, probes: readonly Probe[]): Promise<{ answers: string[][]; queued: string[] }> {
  const answers: string[][] = [];
  const queued: string[] = [];
  const post = async (p: Probe): Promise<string[]> => {
    const res = await fetch(`http://127.0.0.1:${t.port}/commands`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: String(p.frame.data) });
    const raw = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return [`${res.status} not JSON: ${raw.slice(0, 200)}`];
    }
    const b = body as { uuid?: unknown; error?: unknown };
    if (res.status === 200 && typeof b.uuid === 'string') return queued.push(b.uuid), ['200'];
    if (res.status === 400 && typeof b.error === 'string' && b.error !== '') return ['400'];
    return [`${res.status} ${raw.slice(0, 200)}`];
  };
  for (let i = 0; i < probes.length; i += 16) answers.push(...(await Promise.all(probes.slice(i, i + 16).map(post))));
  return { answers, queued };
}

/** What the attacker's sessions hold is what accepted probes registered: the last accepted object of each brewer. */
export function checkHoldings(t: TestServer, probes: readonly Probe[], answers: readonly string[][], j: Judge): string[] {
  const brewers = new Map<string, string>();
  const others = new Set<string>();
  probes.forEach((p, i) => {
    const e = p.effect;
    if (!e || !j.accepted(answers[i] ?? [])) return;
    if (e.kind === 'brewer') brewers.set(e.key, e.json);
    else others.add(`${e.kind} ${e.key}`);
  });
  const { hub } = t.server;
  return [...hub.sessions]
    .filter((s) => s.sub === ATTACKER)
    .flatMap((s) => [
      ...hub.registry.heldBy(s.ref).flatMap((r) => {
        const json = brewers.get(`${r.topic}\u0000${r.uuid}`);
        return json === JSON.stringify(r.brewer) ? [] : [`brewer ${JSON.stringify(r.uuid)} on ${r.topic} held as ${JSON.stringify(r.brewer).slice(0, 200)}, last accepted ${String(json)}`];
      }),
      ...hub.patrons.heldBy(s.ref).flatMap((p) => (others.has(`patron ${p.key}`) ? [] : [`patron ${JSON.stringify(p.key)} was never accepted`])),
      ...[...s.subscriptions.keys()].flatMap((k) => (others.has(`subscription ${k}`) ? [] : [`subscription ${JSON.stringify(k)} was never accepted`])),
    ]);
}

/** Log lines at level error (50) or above: each is a bug ("unexpected error handling a frame"). */
export function errorLogs(lines: readonly string[]): string[] {
  return lines.filter((line) => {
    try {
      return ((JSON.parse(line) as { level?: number }).level ?? 0) >= 50;
    } catch {
      return true;
    }
  });
}
