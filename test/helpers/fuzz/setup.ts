// The fuzzed server and who attacks it: the run's seed and length, the server config, the
// attacker's and bystanders' identities and rights, and the tokens AUTHENTICATE frames carry.
import { startTestServer, type TestServer, type TestServerOptions } from '../server.js';
import { fuzzString, type Rng } from './rng.js';

export const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
export const FRAMES = Number(process.env.FUZZ_FRAMES ?? 300);
export const MAX_FRAME_BYTES = 256 * 1024;

const CONFIG = {
  relayPort: 0,
  // High enough that the attacker is never cut for its errors: every frame must reach the code.
  maxErrorsPer10s: 100_000,
  maxFrameBytes: MAX_FRAME_BYTES,
  relayMaxFrameBytes: MAX_FRAME_BYTES,
  inventoryBatchMs: 10,
  // The relay as the original servers ran it: the bystanders' relay clients and the relay
  // attacker connect without a token (CONTRACT §6b makes a token the default).
  relayAllowAnonymous: 'true',
};

// The attacker may only brew and subscribe under fz.**, and send to its own PCP URIs, so that a
// frame which happens to be valid has no legitimate effect on the bystanders (all under by.**).
export const ATTACKER = 'fzatk';
export const ATTACKER_RIGHTS = ['brew:fz.**', 'subscribe:fz.**', `send:pcp://${ATTACKER}/*`, 'inventory:pcp://*/*'];
export const BYSTANDER = 'bystander';
export const BYSTANDER_RIGHTS = ['brew:by.**', 'subscribe:by.**', `send:pcp://${BYSTANDER}/*`];
export const V2_URI = `pcp://${ATTACKER}/v2atk`;
export const V1_URI = `pcp://${ATTACKER}/v1atk`;
export const ATTACKER_URIS = new Set([V2_URI, V1_URI]);

export const BY_JSON = { uuid: 'by-json-1', hostname: '10.0.0.1', port: 9001, protocol: 'udp' };
export const BY_PCP = { uuid: 'by-pcp-1', hostname: '10.0.0.2', port: 9002, protocol: 'udp' };

export interface Ctx {
  t: TestServer;
  relayPort: number;
  /** The attacker's own token (ATTACKER_RIGHTS). */
  token: string;
  /** What AUTHENTICATE frames carry on an authenticated session. */
  tokens: string[];
  /** The same for a session that starts unauthenticated: no token of anyone outside fz.**. */
  unauthTokens: string[];
}

export function makeCtx(t: TestServer, relayPort: number, rng: Rng): Ctx {
  const token = t.keys.mint(ATTACKER, ATTACKER_RIGHTS);
  const now = Math.floor(Date.now() / 1000);
  const narrower = t.keys.mint(ATTACKER, ['brew:fz.a.**', 'subscribe:fz.a.**', `send:pcp://${ATTACKER}/*`]);
  const other = t.keys.mint('fzother', ['brew:fz.**', 'subscribe:fz.**']);
  const expired = t.keys.mint(ATTACKER, ATTACKER_RIGHTS, { ttlSeconds: 60, nowSeconds: now - 3600 });
  const [h, p, s] = token.split('.') as [string, string, string];
  const noneAlg = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`;
  const flipped = `${h}.${p}.${s.slice(0, -4)}AAAA`;
  const garbage = ['', 'x', 'a.b.c', noneAlg, flipped, `${h}.${p}`, `${token}.x`, 'é'.repeat(10), 'y'.repeat(9000), `${h}.${Buffer.from('[1]').toString('base64url')}.${s}`, fuzzString(rng)];
  const shared = [token, narrower, other, expired, ...garbage];
  return {
    t,
    relayPort,
    token,
    tokens: [...shared, t.keys.mint(BYSTANDER, BYSTANDER_RIGHTS)],
    unauthTokens: shared,
  };
}

/** The fuzzed server; `options` adds to its config (or overrides it) and gives it a logger. */
export async function startFuzzServer(options: TestServerOptions = {}): Promise<{ t: TestServer; relayPort: number }> {
  const t = await startTestServer({ ...options, config: { ...CONFIG, ...options.config } });
  const relay = t.server.relay;
  if (!relay) throw new Error('the relay did not start');
  return { t, relayPort: relay.address().port };
}
