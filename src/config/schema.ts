import { z } from 'zod';

// An empty value is a mistake, not port 0 (what Number('') would make of it).
const port = z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? Number.NaN : v), z.coerce.number().int().min(0).max(65535));
const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().min(0);
/** A switch: `--flag` alone on the command line, `true`/`false` (or 1/0) in env and files. */
const toggle = z.preprocess((v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v), z.boolean());

/**
 * The only place defaults exist (STYLE §3). Names carry their unit. Every key is also a flag
 * (`--kebab-case`) and an env var (`PUBKEEPER_UPPER_SNAKE`).
 */
export const configSchema = z
  .object({
    host: z.string().min(1).default('0.0.0.0').describe('Address to listen on'),
    port: port.default(9898).describe('Port to listen on; 0 picks a free one'),
    keys: z.string().min(1).default('./keys').describe('Key directory; dev keys are generated here when empty'),
    logLevel: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('pino log level'),
    logFormat: z
      .enum(['auto', 'json', 'pretty'])
      .default('auto')
      .describe('Log lines: pretty (for people) or json (for machines); auto is pretty when stdout is a terminal'),
    authTimeoutMs: positiveInt.default(10000).describe('/ws session not authenticated by then: close 4001'),
    maxAuthFailures: positiveInt.default(3).describe('Refused tokens before an unauthenticated /ws session closes 4001'),
    pingIntervalMs: positiveInt.default(15000).describe('WebSocket ping interval'),
    maxMissedPongs: positiveInt.default(2).describe('Missed pongs before a session is terminated'),
    maxFrameBytes: positiveInt.default(1048576).describe('Largest inbound frame; larger closes 1009'),
    maxUnsentBytes: positiveInt.default(8388608).describe('Unsent output per session; more closes 1008 "Slow consumer."'),
    maxErrorsPer10s: positiveInt.default(100).describe('ERRORs per session per 10 s; more closes 1008'),
    maxBrewersPerSession: positiveInt.default(10000).describe('Brewer registrations per session ("Limit exceeded")'),
    maxSubscriptionsPerSession: positiveInt.default(1000).describe('Subscriptions per session ("Limit exceeded")'),
    maxBrewerBytes: positiveInt.default(65536).describe('Largest brewer object, as JSON ("Limit exceeded")'),
    maxBrewerBytesPerSession: positiveInt.default(16777216).describe('All brewer objects one session holds, as JSON ("Limit exceeded")'),
    maxTokenBytes: positiveInt.default(8192).describe('Largest accepted token'),
    inventoryBatchMs: positiveInt.default(1000).describe('PCP inventory_update batching interval'),
    issuer: z.string().min(1).default('pubkeeper').describe('Required token `iss`'),
    audience: z.string().min(1).default('pubkeeper').describe('Required token `aud`'),
    drainTimeoutMs: nonNegativeInt.default(4000).describe('Longest wait for sessions to close on SIGTERM'),
    relayPort: port.optional().describe('Port of the websocket brew relay; off unless set (0 picks a free one)'),
    relayMaxFrameBytes: positiveInt.default(1048576).describe('Largest relay frame; larger closes 1009'),
    relayMaxTopicsPerConnection: positiveInt.default(1000).describe('Topics one relay connection may join; more closes 1008'),
    relayMaxUnsentBytes: positiveInt.default(8388608).describe('Unsent relay output per connection; more closes 1008 "Slow consumer."'),
    relayMaxLastValues: positiveInt.default(100000).describe('Topics whose last value the relay keeps for late joiners; the oldest go first'),
    relayMaxLastValueBytes: positiveInt.default(67108864).describe('Bytes of last values the relay keeps; the oldest go first'),
    dataDir: z.string().min(1).default('./data').describe('Where revocations, static brewers and admin commands are kept'),
    maxCommandBytes: positiveInt.default(65536).describe('Largest admin command request body; larger is 413'),
    commandRetries: nonNegativeInt.default(3).describe('Retries of an admin command that failed for a reason retrying may fix'),
    commandRetryBaseMs: positiveInt.default(1000).describe('First retry delay of an admin command; each next one is 4 times longer'),
    commandHistory: positiveInt.default(1000).describe('Finished admin commands kept for GET /commands'),
    maxAdminEventStreams: positiveInt.default(32).describe('Open GET /admin/events streams; more is 503'),
    maxConnections: positiveInt.default(10000).describe('Open connections in total (each listener); more are closed at once'),
    maxConnectionsPerAddress: positiveInt.default(1000).describe('Open connections from one remote address (each listener); more are closed at once'),
    handshakeTimeoutMs: positiveInt.default(10000).describe('A connection that has not completed its HTTP request or upgrade by then is closed'),
    relayAllowAnonymous: toggle.default(false).describe('Let relay clients in without a token, as the original servers did (see README)'),
    relayIdleTimeoutMs: positiveInt.default(30000).describe('A relay connection that holds no topic for this long is closed'),
    maxMultiWildcards: positiveInt.default(4).describe('`**` segments a subscription pattern may hold ("Limit exceeded")'),
    snapshotBudgetPer10s: positiveInt.default(100000).describe('Brewers sent in snapshots per session per 10 s, each snapshot counting one more ("Limit exceeded")'),
    maxTokenRefreshesPer10s: positiveInt.default(20).describe('Token refreshes per session per 10 s ("Limit exceeded")'),
    maxInventoryPatterns: positiveInt.default(64).describe('Patterns in one PCP inventory_request query ("Limit exceeded")'),
    uuidReserveMs: nonNegativeInt.default(30000).describe('How long a brewer uuid stays its sub\'s after its session ended'),
    tlsCert: z.string().min(1).optional().describe('PEM certificate (chain) file; with --tls-key every surface is served over TLS (https, wss) and nothing in plain text'),
    tlsKey: z.string().min(1).optional().describe('PEM private key file of --tls-cert'),
    tlsCa: z.string().min(1).optional().describe('PEM CA bundle; PCP clients may then connect with a certificate it signed instead of a token (needs --tls-cert)'),
    certRights: z.string().min(1).optional().describe('JSON file {"<CN or *>": [rights…]}: the rights of certificate clients (needs --tls-ca)'),
    metricsToken: z.string().min(1).optional().describe('When set, GET /metrics requires Authorization: Bearer with this value'),
    cluster: z
      .string()
      .regex(/^rediss?:\/\/[^\s]+$/, 'must be a redis:// URL')
      .optional()
      .describe('Redis URL (redis://HOST:PORT[/DB]) of the cluster this node joins; absent means a single process'),
    clusterPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits and _ . : - only')
      .default('pubkeeper')
      .describe('Key and channel prefix in Redis, so several clusters can share one'),
    clusterLeaseMs: z.coerce.number().int().min(200).default(5000).describe('A node that has not renewed its lease for this long is dead'),
    nodeId: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits and _ . - only')
      .optional()
      .describe('Names this node in logs, metrics and /healthz; random when absent'),
  })
  .strict();

export type Config = Readonly<z.infer<typeof configSchema>>;
export type ConfigInput = z.input<typeof configSchema>;
export type ConfigKey = keyof z.infer<typeof configSchema>;

export const CONFIG_KEYS = Object.keys(configSchema.shape) as ConfigKey[];

// Word boundaries of a camelCase key: before a capital or a run of digits (`maxErrorsPer10s`).
const WORD_BOUNDARY = /([a-z])(?=[A-Z0-9])/g;

/** `maxErrorsPer10s` → `max-errors-per-10s` (the options of keygen and token are named the same way) */
export function flagName(key: string): string {
  return key.replace(WORD_BOUNDARY, '$1-').toLowerCase();
}

/** `maxErrorsPer10s` → `PUBKEEPER_MAX_ERRORS_PER_10S` */
export function envName(key: ConfigKey): string {
  return `PUBKEEPER_${key.replace(WORD_BOUNDARY, '$1_').toUpperCase()}`;
}
