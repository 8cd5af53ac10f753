// Memory per idle session: N authenticated JSON sessions with one subscription each on a fresh
// server, against N plain connections on the raw ws server; the growth of VmRSS over N, each
// reading taken after a forced full GC in the server (--expose-gc and SIGUSR2, servers/gcOnSignal.ts).
import { benchKeys } from '../keys.js';
import { clientFrame, openMany, RawWs } from '../load/rawWs.js';
import { rssBytes } from '../procStats.js';
import { startBaseline, startPubkeeper, type Server } from '../servers/launch.js';
import { fmt, median, printTable, ratioText } from '../stats.js';
import type { GoalRow } from '../summary.js';
import type { SuiteBench, SuiteContext } from './context.js';
import { openFileLimit } from './rig.js';

export interface MemoryConfig {
  readonly sessions: number;
  readonly rounds: number;
}

export const FULL: MemoryConfig = { sessions: 10_000, rounds: 5 };
export const QUICK: MemoryConfig = { sessions: 2_000, rounds: 3 };

const CONCURRENCY = 128;

export interface MemoryRound {
  /** Bytes of RSS per session (ours) and per connection (raw ws, idle and after the same exchange). */
  readonly ours: number;
  readonly raw: number;
  readonly rawExchanged: number;
}

/** Polls /metrics until the server counts `count` subscriptions: every SUBSCRIBE has been handled. */
async function subscriptionsReach(server: Server, count: number): Promise<void> {
  const until = Date.now() + 60_000;
  let seen = -1;
  while (Date.now() < until) {
    const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    seen = Number(/^pubkeeper_subscriptions (\d+)/m.exec(text)?.[1] ?? -1);
    if (seen === count) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`pubkeeper counts ${seen} subscriptions, not ${count}`);
}

/** Opens `count` connections on `path`, each sending AUTHENTICATE and a SUBSCRIBE of its own in one write, and awaiting the answer. */
function exchanged(server: Server, count: number, path: string): Promise<RawWs[]> {
  const token = benchKeys().mint('bench');
  return openMany(count, CONCURRENCY, async (i) => {
    const ws = await RawWs.open({ port: server.port, path });
    const answer = new Promise<string>((resolve) => (ws.onFrame = (payload) => resolve(payload.toString())));
    // One write: AUTHENTICATE, then a SUBSCRIBE of a topic of its own (no snapshot to answer it).
    ws.write(Buffer.concat([clientFrame(JSON.stringify([1, { token }])), clientFrame(JSON.stringify([20, { topic: `mem.s${i}.temp` }]))]));
    const text = await answer;
    if (text !== '[2,{"authenticated":true}]') throw new Error(`${server.name} refused the bench token: ${text}`);
    return ws;
  });
}

async function oursSessions(server: Server, count: number): Promise<RawWs[]> {
  const clients = await exchanged(server, count, '/ws');
  await subscriptionsReach(server, count);
  return clients;
}

/** Raw connections that sent what a session sends and read an answer as long (the raw server answers each message). */
function rawExchangedConnections(server: Server, count: number): Promise<RawWs[]> {
  return exchanged(server, count, '/sub');
}

function rawConnections(server: Server, count: number): Promise<RawWs[]> {
  return openMany(count, CONCURRENCY, () => RawWs.open({ port: server.port, path: '/sub' }));
}

/** Bytes per session on a fresh server: RSS after the sessions minus RSS before, over N. */
async function perSession(server: Server, count: number, open: (server: Server, count: number) => Promise<RawWs[]>): Promise<number> {
  await server.gc();
  const before = rssBytes(server.pid);
  const clients = await open(server, count);
  await server.gc();
  const after = rssBytes(server.pid);
  for (const ws of clients) ws.destroy();
  return (after - before) / count;
}

/**
 * Alternated rounds, each on fresh servers (RSS only grows, so a round cannot reuse one). Every
 * round's servers are started up front, side by side: an idle server changes no other's RSS, and
 * starting one costs seconds on a busy machine. Ours and the raw server are filled side by side
 * when this process may hold both sets of connections.
 */
export async function runMemory(config: MemoryConfig, sideBySide: boolean): Promise<MemoryRound[]> {
  const started = await Promise.allSettled(
    Array.from({ length: config.rounds }, () => Promise.all([startPubkeeper(), startBaseline('rawBroadcast'), startBaseline('rawBroadcast')])),
  );
  const servers = started.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  const rounds: MemoryRound[] = [];
  try {
    for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
    for (const [round, [ours, raw, rawAgain]] of servers.entries()) {
      let oursBytes: number;
      let rawBytes: number;
      if (sideBySide) {
        [oursBytes, rawBytes] = await Promise.all([perSession(ours, config.sessions, oursSessions), perSession(raw, config.sessions, rawConnections)]);
      } else if (round % 2 === 0) {
        oursBytes = await perSession(ours, config.sessions, oursSessions);
        rawBytes = await perSession(raw, config.sessions, rawConnections);
      } else {
        rawBytes = await perSession(raw, config.sessions, rawConnections);
        oursBytes = await perSession(ours, config.sessions, oursSessions);
      }
      // Alone: this process may not hold a third set of connections beside the other two.
      const rawExchangedBytes = await perSession(rawAgain, config.sessions, rawExchangedConnections);
      rounds.push({ ours: oursBytes, raw: rawBytes, rawExchanged: rawExchangedBytes });
      await Promise.all([ours.stop(), raw.stop(), rawAgain.stop()]);
    }
  } finally {
    await Promise.all(servers.flat().map((server) => server.stop()));
  }
  return rounds;
}

export const memoryBench: SuiteBench = {
  name: 'memory',
  title: 'memory per idle session: RSS of authenticated sessions with one subscription vs raw ws connections',
  run: async (context: SuiteContext) => {
    let config = context.quick ? QUICK : FULL;
    // This process holds N connections per server, each server N of its own.
    const limit = openFileLimit();
    if (config.sessions + 500 > limit) {
      const fits = Math.floor((limit - 500) / 1000) * 1000;
      if (fits < 1000) {
        console.log(`  (skipped: the open-file limit ${limit} is too low; raise it with ulimit -n)`);
        return [];
      }
      console.log(`  (the open-file limit ${limit} allows ${fits} sessions, not ${config.sessions}; raise it with ulimit -n)`);
      config = { ...config, sessions: fits };
    }
    const rounds = await runMemory(config, 2 * config.sessions + 500 <= limit);
    const ours = median(rounds.map((r) => r.ours));
    const raw = median(rounds.map((r) => r.raw));
    const rawExchanged = median(rounds.map((r) => r.rawExchanged));
    console.log(`\n  ${config.sessions.toLocaleString('en-US')} sessions, ${config.rounds} rounds (a fresh server each), RSS after a full GC`);
    printTable([
      ['system', 'KiB per session', 'per round', 'vs raw'],
      ['pubkeeper', fmt(ours / 1024), rounds.map((r) => fmt(r.ours / 1024)).join(' '), ratioText(ours / raw)],
      ['raw ws connection', fmt(raw / 1024), rounds.map((r) => fmt(r.raw / 1024)).join(' '), ratioText(1)],
      ['raw ws, same exchange', fmt(rawExchanged / 1024), rounds.map((r) => fmt(r.rawExchanged / 1024)).join(' '), ratioText(rawExchanged / raw)],
    ]);
    console.log(`  pubkeeper vs a raw connection that sent the same frames and read an answer: ${ratioText(ours / rawExchanged)}`);
    const row: GoalRow = {
      goal: `memory per idle session (${config.sessions.toLocaleString('en-US')})`,
      unit: 'KiB',
      ours: ours / 1024,
      baseline: raw / 1024,
      baselineLabel: 'raw ws connection',
      target: '≤ 1.30× raw ws connection',
      met: ours / raw <= 1.3,
    };
    const sameExchange: GoalRow = {
      ...row,
      goal: `  the same, vs a raw connection after the same exchange`,
      baseline: rawExchanged / 1024,
      baselineLabel: 'raw ws, same exchange',
      target: '≤ 1.30× raw ws, same exchange',
      met: ours / rawExchanged <= 1.3,
    };
    return [row, sameExchange];
  },
};
