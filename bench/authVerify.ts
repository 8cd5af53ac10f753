// AUTHENTICATE's cost: verifyToken (node:crypto and our own claim checks) against a bare
// `jsonwebtoken.verify(token, keyObject, {algorithms: [alg]})` (issue 11's goal: ≤ 1.0×) and
// against node:crypto's signature check alone (the floor: what no verifier can go under), for
// RS256 and ES256 tokens like the ones `pubkeeper token` mints; then the refresh shortcut's digest.
// Costs are this process's CPU time (user + system), not the wall clock: on a shared machine a
// busy neighbour stretches the wall clock of whatever runs, not the CPU a verify takes. Rounds
// alternate the contenders so drift hits them alike; each figure is a median over the rounds.
import { generateKeyPairSync, verify } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { importKey, type SigningKey, type VerificationKey } from '../src/core/auth/keys.js';
import { signToken } from '../src/core/auth/signToken.js';
import { holdsToken, verifyToken, type Keyring } from '../src/core/auth/verifyToken.js';

const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 5 : 31;
/** CPU time per contender per round. */
const MIN_CPU_MS = QUICK ? 30 : 60;
const OPTS = { issuer: 'pubkeeper', audience: 'pubkeeper', maxTokenBytes: 8192 };

/** A fresh key pair, imported the way the server imports a key file. */
function keyPair(alg: 'RS256' | 'ES256'): { signing: SigningKey; verification: VerificationKey } {
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const { signing, verification } = importKey(alg.toLowerCase(), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), 'private');
  if (signing === undefined) throw new Error('no signing key');
  return { signing, verification };
}

/** Results land here, a write V8 cannot prove dead, so no call is dropped (as in harness.ts). */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- written, never read, on purpose
let sink: unknown;

/** CPU µs per call of `fn`, after a warm-up, over batches that double until one takes a millisecond. */
function cpuMicrosPerCall(fn: () => unknown): number {
  for (let i = 0; i < 20; i++) sink = fn();
  const started = process.cpuUsage();
  let calls = 0;
  let spent = 0;
  let batch = 1;
  while (spent < MIN_CPU_MS * 1000) {
    for (let i = 0; i < batch; i++) sink = fn();
    calls += batch;
    const used = process.cpuUsage(started);
    spent = used.user + used.system;
    if (spent < 1000) batch *= 2;
  }
  return spent / calls;
}

interface Contender {
  readonly name: string;
  readonly fn: () => unknown;
}

/**
 * Runs the contenders in many short alternated rounds, each round starting with the next one,
 * and prints for each its median cost and the median of its per-round cost ratios to the first
 * contender (the baseline). Pairing within a round cancels the drift a busy machine brings.
 */
function compare(title: string, contenders: readonly Contender[]): void {
  const costs = contenders.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < contenders.length; i++) {
      const at = (round + i) % contenders.length;
      const contender = contenders[at];
      if (contender !== undefined) costs[at]?.push(cpuMicrosPerCall(contender.fn));
    }
  }
  const base = costs[0] ?? [];
  console.log(`${title} (CPU time, medians of ${ROUNDS} alternated rounds)`);
  const width = Math.max(...contenders.map((c) => c.name.length));
  contenders.forEach((c, i) => {
    const mine = costs[i] ?? [];
    const ratio = median(mine.map((cost, round) => cost / (base[round] ?? cost)));
    const note = i === 0 ? '(baseline)' : '';
    console.log(`  ${c.name.padEnd(width)}  ${median(mine).toFixed(2).padStart(8)} µs  ${ratio.toFixed(3).padStart(7)}× the cost ${note}`);
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function benchAlgorithm(alg: 'RS256' | 'ES256'): void {
  const { signing, verification } = keyPair(alg);
  const publicKey = verification.key;
  const keyring: Keyring = { keys: [verification] };
  // A token like `pubkeeper token` mints for a gateway: four rights, a jti, a day to live.
  const token = signToken(signing, {
    sub: 'sensor-gateway-17@plant-3',
    rights: ['brew:plant3.sensors.*', 'subscribe:plant3.**', 'send:pcp://*/agent', 'inventory:pcp://*/*'],
    ttlSeconds: 86_400,
    jti: 'b6f1d2e0-5c1a-4e8e-9a7b-1d2c3e4f5a6b',
    issuer: OPTS.issuer,
    audience: OPTS.audience,
  });
  const signingInput = Buffer.from(token.slice(0, token.lastIndexOf('.')));
  const signature = Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url');
  const rawKey = alg === 'ES256' ? { key: publicKey, dsaEncoding: 'ieee-p1363' as const } : publicKey;
  if (!verifyToken(token, keyring, OPTS).ok || !verify('sha256', signingInput, rawKey, signature)) {
    throw new Error(`authVerify: the ${alg} token does not verify`);
  }

  compare(`AUTHENTICATE: an ${alg} token of ${token.length} characters, per verify`, [
    { name: 'bare jsonwebtoken.verify', fn: () => jwt.verify(token, publicKey, { algorithms: [alg] }) },
    { name: 'verifyToken (all checks, digest)', fn: () => verifyToken(token, keyring, OPTS) },
    { name: 'node:crypto verify alone', fn: () => verify('sha256', signingInput, rawKey, signature) },
  ]);
}

/** The refresh shortcut: the held token's digest against a full string compare of it. */
function benchShortcut(): void {
  const { signing, verification } = keyPair('RS256');
  const token = signToken(signing, { sub: 'a', rights: ['all'], issuer: OPTS.issuer, audience: OPTS.audience, ttlSeconds: 60 });
  const verified = verifyToken(token, { keys: [verification] }, OPTS);
  if (!verified.ok) throw new Error('authVerify: the shortcut token does not verify');
  const identity = verified.value;
  // A copy, so the compare cannot stop at pointer equality.
  const held = `${token.slice(0, 10)}${token.slice(10)}`;
  compare(`Refresh shortcut: the held ${token.length}-character token, recognised`, [
    { name: 'string === (the token kept)', fn: () => held === token },
    { name: 'holdsToken (its SHA-256 kept)', fn: () => holdsToken(identity, held) },
  ]);
}

export async function run(): Promise<void> {
  benchAlgorithm('RS256');
  benchAlgorithm('ES256');
  benchShortcut();
}
