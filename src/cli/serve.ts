import { pino } from 'pino';
import { loadConfig } from '../config/load.js';
import { CONFIG_KEYS, configSchema, envName, flagName, type ConfigKey } from '../config/schema.js';
import { startServer } from '../server/start.js';
import { parseFlags } from './flags.js';
import { serveHelp } from './serveHelp.js';
import type { CliIo } from './io.js';
import { formattedLog, resolveLogFormat } from './logFormat.js';
import { LOG_FLUSH_TIMEOUT_MS, stdoutLog } from './stdoutLog.js';

/** pino paths that may carry a token; belt and braces, since we never log one on purpose. */
export const REDACT_PATHS = ['token', '*.token', 'req.headers.authorization', 'headers.authorization', 'url', '*.url'];

/** A switch of the schema (a boolean default) is a flag without a value: `--relay-allow-anonymous`. */
const isSwitch = (key: ConfigKey): boolean => typeof configSchema.parse({})[key] === 'boolean';

const SERVE_OPTIONS = Object.fromEntries([
  ['config', { type: 'string' as const }],
  ...CONFIG_KEYS.map((key) => [flagName(key), { type: isSwitch(key) ? ('boolean' as const) : ('string' as const) }]),
]);

/** `pubkeeper serve`: runs until SIGTERM/SIGINT, then drains and resolves with exit code 0. */
export async function serve(args: string[], io: CliIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(serveHelp());
    return 0;
  }
  const values = parseFlags(args, SERVE_OPTIONS);
  const flags: Partial<Record<ConfigKey, string>> = {};
  for (const key of CONFIG_KEYS) {
    const value = values[flagName(key)];
    if (typeof value === 'string') flags[key] = value;
    else if (value === true) flags[key] = 'true';
  }
  const file = typeof values.config === 'string' ? values.config : io.env.PUBKEEPER_CONFIG;
  const config = loadConfig({ file, env: io.env, flags });
  const log = stdoutLog();
  const isTTY = process.stdout.isTTY;
  const destination = await formattedLog(resolveLogFormat(config.logFormat, isTTY), log.stream, isTTY);
  const logger = pino({ level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination);
  for (const variable of unknownEnv(io.env)) logger.warn({ variable }, 'unknown PUBKEEPER_* environment variable, ignored: is it misspelt?');
  try {
    const { server } = await startServer({ config, logger, logDrops: log.dropped });
    await new Promise<void>((resolve) => {
      const stop = (signal: NodeJS.Signals): void => {
        logger.info({ signal }, 'shutdown requested');
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        resolve();
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
    await server.drain();
  } finally {
    await log.close(LOG_FLUSH_TIMEOUT_MS);
  }
  return 0;
}

/** Variables the CLI reads besides the settings: the config file, and the URL and token of its clients. */
const OTHER_ENV = new Set(['PUBKEEPER_CONFIG', 'PUBKEEPER_URL', 'PUBKEEPER_TOKEN']);

/** `PUBKEEPER_*` variables that name no setting: most likely a typo that would silently do nothing. */
function unknownEnv(env: NodeJS.ProcessEnv): string[] {
  const known = new Set(CONFIG_KEYS.map(envName));
  return Object.keys(env).filter((name) => name.startsWith('PUBKEEPER_') && !known.has(name) && !OTHER_ENV.has(name));
}
