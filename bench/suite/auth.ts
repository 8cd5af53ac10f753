// AUTHENTICATE with RS256 and ES256. In process: the server's own verifyToken against a bare
// jsonwebtoken.verify with the KeyObject (the goal), and node:crypto's verify as a reference. Over
// sockets: server CPU per connection that authenticates, minus per connection that does not (the
// upgrade and the session cost far more than the token; the difference is what AUTHENTICATE adds).
import { verify as cryptoVerify, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { verifyToken } from '../../src/core/auth/verifyToken.js';
import { usPerCall } from '../harness.js';
import { benchKeys, type BenchAlg } from '../keys.js';
import { openMany, RawWs } from '../load/rawWs.js';
import { startPubkeeper, type Server } from '../servers/launch.js';
import { fmt, median, printTable, ratioText } from '../stats.js';
import type { GoalRow } from '../summary.js';
import type { SuiteBench, SuiteContext } from './context.js';
import { metered } from './meter.js';

export interface AuthConfig {
  readonly rounds: number;
  /** In-process: each function runs this long per round. */
  readonly minMs: number;
  /** Over sockets: alternated rounds. */
  readonly socketRounds: number;
  /** Over sockets: connections per variant per round. */
  readonly connections: number;
  /** Over sockets: connections per variant before the rounds, not measured. */
  readonly warmup: number;
}

export const FULL: AuthConfig = { rounds: 60, minMs: 30, socketRounds: 5, connections: 1000, warmup: 500 };
export const QUICK: AuthConfig = { rounds: 30, minMs: 10, socketRounds: 3, connections: 150, warmup: 150 };

const ALGS: readonly BenchAlg[] = ['RS256', 'ES256'];
const CONCURRENCY = 16;

interface InProcess {
  verifyToken: number[];
  jsonwebtoken: number[];
  crypto: number[];
}

/** What a verifier built on node:crypto alone would do at least: check the signature, parse the claims. */
function cryptoVerifyFn(token: string, key: KeyObject, alg: BenchAlg): () => unknown {
  return () => {
    const dot = token.lastIndexOf('.');
    const signed = Buffer.from(token.slice(0, dot));
    const signature = Buffer.from(token.slice(dot + 1), 'base64url');
    const ok = cryptoVerify('sha256', signed, alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key, signature);
    if (!ok) throw new Error('crypto.verify refused the bench token');
    return JSON.parse(Buffer.from(token.slice(token.indexOf('.') + 1, dot), 'base64url').toString());
  };
}

function inProcess(alg: BenchAlg, config: AuthConfig): InProcess {
  const keys = benchKeys();
  const token = keys.mint('bench', alg);
  const key = keys.verification.find((k) => k.alg === alg);
  if (!key) throw new Error(`no ${alg} verification key`);
  const options = { issuer: 'pubkeeper', audience: 'pubkeeper', maxTokenBytes: 8192 };
  const fns: [keyof InProcess, () => unknown][] = [
    [
      'verifyToken',
      () => {
        const result = verifyToken(token, { keys: keys.verification }, options);
        if (!result.ok) throw new Error(`verifyToken refused the bench token: ${result.error.detail ?? ''}`);
        return result;
      },
    ],
    ['jsonwebtoken', () => jwt.verify(token, key.key, { algorithms: [alg] })],
    ['crypto', cryptoVerifyFn(token, key.key, alg)],
  ];
  const out: InProcess = { verifyToken: [], jsonwebtoken: [], crypto: [] };
  // Each warmed up once, well, before the short alternated rounds.
  for (const [, fn] of fns) usPerCall(fn, 200);
  for (let round = 0; round < config.rounds; round++) {
    for (let i = 0; i < fns.length; i++) {
      const entry = fns[(i + round) % fns.length];
      if (entry) out[entry[0]].push(usPerCall(entry[1], config.minMs));
    }
  }
  return out;
}

/** Server CPU µs per connection: open /ws, AUTHENTICATE (or not), half-close, server closes too. */
async function perConnection(server: Server, token: string | null, count: number): Promise<number> {
  const m = await metered(server.pid, () =>
    openMany(count, CONCURRENCY, async () => {
      const ws = await RawWs.open({ port: server.port, path: '/ws' });
      if (token !== null) {
        const answer = new Promise<string>((resolve) => (ws.onFrame = (payload) => resolve(payload.toString())));
        ws.send(JSON.stringify([1, { token }]));
        const text = await answer;
        if (text !== '[2,{"authenticated":true}]') throw new Error(`pubkeeper refused the bench token: ${text}`);
      }
      await ws.end();
    }),
  );
  return m.serverCpuNs / 1000 / count;
}

interface OverSockets {
  withAuth: number[];
  without: number[];
}

async function overSockets(config: AuthConfig): Promise<Map<BenchAlg, OverSockets>> {
  const server = await startPubkeeper();
  const out = new Map<BenchAlg, OverSockets>(ALGS.map((alg) => [alg, { withAuth: [], without: [] }]));
  try {
    // The server's session paths take a few hundred connections to reach their steady cost.
    for (const alg of ALGS) await perConnection(server, benchKeys().mint('bench', alg), config.warmup);
    await perConnection(server, null, config.warmup);
    const variants = ALGS.flatMap((alg) => [
      { alg, token: benchKeys().mint('bench', alg) },
      { alg, token: null },
    ]);
    for (let round = 0; round < config.socketRounds; round++) {
      for (let i = 0; i < variants.length; i++) {
        const variant = variants[(i + round) % variants.length];
        const entry = variant && out.get(variant.alg);
        if (!variant || !entry) continue;
        const us = await perConnection(server, variant.token, config.connections);
        (variant.token === null ? entry.without : entry.withAuth).push(us);
      }
    }
  } finally {
    await server.stop();
  }
  return out;
}

export const authBench: SuiteBench = {
  name: 'auth',
  title: 'auth: AUTHENTICATE with RS256 and ES256, in process and over sockets',
  run: async (context: SuiteContext) => {
    const config = context.quick ? QUICK : FULL;
    const rows: GoalRow[] = [];
    const table: string[][] = [
      ['alg', 'verifyToken µs', 'jsonwebtoken.verify µs', 'crypto.verify µs', 'verifyToken vs jwt', 'crypto vs jwt'],
    ];
    const figures = new Map<BenchAlg, { jwt: number }>();
    for (const alg of ALGS) {
      const result = inProcess(alg, config);
      const ours = median(result.verifyToken);
      const bare = median(result.jsonwebtoken);
      const direct = median(result.crypto);
      figures.set(alg, { jwt: bare });
      table.push([alg, fmt(ours), fmt(bare), fmt(direct), ratioText(ours / bare), ratioText(direct / bare)]);
      rows.push({
        goal: `auth ${alg}: verifyToken in process`,
        unit: 'µs',
        ours,
        baseline: bare,
        baselineLabel: 'jsonwebtoken.verify',
        target: '≤ 1.00× jsonwebtoken.verify',
        met: ours / bare <= 1.0,
      });
    }
    console.log(`\n  in process, ${config.rounds} alternated rounds of ${config.minMs} ms each (crypto.verify: signature check and claims JSON.parse only)`);
    printTable(table);

    const sockets = await overSockets(config);
    console.log(
      `\n  over sockets: ${config.connections} connections per variant per round, ${config.socketRounds} rounds, ${CONCURRENCY} at a time; ` +
        'server CPU per connection (upgrade, session, close) with and without one AUTHENTICATE',
    );
    printTable([
      ['alg', 'with AUTHENTICATE µs', 'without µs', 'difference µs', 'difference vs jwt'],
      ...ALGS.map((alg) => {
        const entry = sockets.get(alg);
        const withAuth = median(entry?.withAuth ?? []);
        const without = median(entry?.without ?? []);
        const jwtUs = figures.get(alg)?.jwt ?? Number.NaN;
        return [alg, fmt(withAuth), fmt(without), fmt(withAuth - without), ratioText((withAuth - without) / jwtUs)];
      }),
    ]);
    return rows;
  },
};
