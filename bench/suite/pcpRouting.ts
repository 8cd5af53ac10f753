// PCP routing: messages per second from one PCP v2 client to another through our server, against
// a raw ws relay that forwards A's frames to B unparsed. The load generator keeps a window of
// messages in flight, written a batch per write, and only counts what B receives, so it stays
// well below the servers' cost (its CPU per message is printed beside theirs).
import { randomUUID } from 'node:crypto';
import { benchKeys } from '../keys.js';
import { clientFrame, RawWs } from '../load/rawWs.js';
import { startBaseline, startPubkeeper, type Server } from '../servers/launch.js';
import { fmt, median, printTable, ratioText } from '../stats.js';
import type { GoalRow } from '../summary.js';
import type { SuiteBench, SuiteContext } from './context.js';
import { metered } from './meter.js';

export interface RoutingConfig {
  readonly rounds: number;
  /** Messages per round per system. */
  readonly messages: number;
  /** Messages not yet received at most, and how many go in one write. */
  readonly window: number;
  readonly batch: number;
}

export const FULL: RoutingConfig = { rounds: 5, messages: 100_000, window: 1000, batch: 100 };
export const QUICK: RoutingConfig = { rounds: 3, messages: 30_000, window: 1000, batch: 100 };

/** A PCP v2 message from pcp://a/agent to pcp://b/agent, as the PCP SDK would send it. */
function message(): string {
  return JSON.stringify({
    id: randomUUID(),
    message_type: 'http://puppetlabs.com/rpc_blocking_request',
    target: 'pcp://b/agent',
    data: { transaction_id: 'f0e1d2c3', module: 'echo', action: 'echo', params: { argument: 'hello world' } },
  });
}

interface Pair {
  readonly name: string;
  readonly server: Server;
  readonly a: RawWs;
  readonly b: RawWs;
}

async function pubkeeperPair(): Promise<Pair> {
  const server = await startPubkeeper();
  const open = (sub: string): Promise<RawWs> =>
    RawWs.open({ port: server.port, path: '/pcp/v2.0/agent', headers: { authorization: `Bearer ${benchKeys().mint(sub)}` } });
  const b = await open('b');
  const a = await open('a');
  a.onFrame = (payload) => {
    throw new Error(`pubkeeper answered the PCP sender: ${payload.toString()}`);
  };
  return { name: 'pubkeeper (PCP v2)', server, a, b };
}

async function rawPair(): Promise<Pair> {
  const server = await startBaseline('rawRelay');
  const b = await RawWs.open({ port: server.port, path: '/b' });
  const a = await RawWs.open({ port: server.port, path: '/a' });
  return { name: 'raw ws relay', server, a, b };
}

/** Sends `count` messages A → B, at most `window` unreceived, `batch` frames per write. */
function stream(pair: Pair, count: number, config: RoutingConfig): Promise<void> {
  const batch = Buffer.concat(Array.from({ length: config.batch }, () => clientFrame(message())));
  let sent = 0;
  let received = 0;
  return new Promise((resolve) => {
    const pump = (): void => {
      while (sent < count && sent - received + config.batch <= config.window) {
        pair.a.write(batch);
        sent += config.batch;
      }
    };
    pair.b.onFrame = () => {
      received++;
      if (received === count) resolve();
      else if (received % config.batch === 0) pump();
    };
    pump();
  });
}

interface Figures {
  readonly msgsPerSec: number;
  readonly serverUs: number;
  readonly syscw: number;
  readonly loadgenUs: number;
}

export const routingBench: SuiteBench = {
  name: 'routing',
  title: 'PCP routing: client→client messages per second vs a raw ws relay',
  run: async (context: SuiteContext) => {
    const config = context.quick ? QUICK : FULL;
    const pairs = await Promise.all([pubkeeperPair(), rawPair()]);
    const results = new Map<string, Figures[]>(pairs.map((p) => [p.name, []]));
    try {
      for (const pair of pairs) await stream(pair, 10 * config.batch, config); // warm-up
      for (let round = 0; round < config.rounds; round++) {
        for (let i = 0; i < pairs.length; i++) {
          const pair = pairs[(i + round) % pairs.length];
          if (!pair) continue;
          const m = await metered(pair.server.pid, () => stream(pair, config.messages, config));
          results.get(pair.name)?.push({
            msgsPerSec: config.messages / (m.wallNs / 1e9),
            serverUs: m.serverCpuNs / 1000 / config.messages,
            syscw: m.serverSyscw / config.messages,
            loadgenUs: m.loadgenCpuNs / 1000 / config.messages,
          });
        }
      }
    } finally {
      for (const pair of pairs) {
        pair.a.destroy();
        pair.b.destroy();
        await pair.server.stop();
      }
    }
    const medians = pairs.map((p) => {
      const list = results.get(p.name) ?? [];
      return {
        name: p.name,
        msgsPerSec: median(list.map((f) => f.msgsPerSec)),
        serverUs: median(list.map((f) => f.serverUs)),
        syscw: median(list.map((f) => f.syscw)),
        loadgenUs: median(list.map((f) => f.loadgenUs)),
      };
    });
    const [ours, raw] = medians;
    if (!ours || !raw) return [];
    console.log(
      `\n  ${config.messages.toLocaleString('en-US')} messages a round, ${config.rounds} alternated rounds, ` +
        `${config.window} in flight, ${config.batch} per write; ${Buffer.byteLength(message())}-byte messages`,
    );
    printTable([
      ['system', 'msgs/s', 'vs raw relay', 'server CPU µs/msg', 'writes/msg', 'loadgen CPU µs/msg'],
      ...medians.map((f) => [f.name, fmt(f.msgsPerSec), ratioText(f.msgsPerSec / raw.msgsPerSec), fmt(f.serverUs), fmt(f.syscw), fmt(f.loadgenUs)]),
    ]);
    const row: GoalRow = {
      goal: 'PCP routing: messages per second',
      unit: 'msg/s',
      ours: ours.msgsPerSec,
      baseline: raw.msgsPerSec,
      baselineLabel: 'raw ws relay',
      target: '≥ 1.50× raw ws relay',
      met: ours.msgsPerSec / raw.msgsPerSec >= 1.5,
    };
    return [row];
  },
};
