import { pino } from 'pino';
import { loadConfig, type ConfigSources } from '../config/load.js';
import { CONFIG_KEYS, envName } from '../config/schema.js';
import { startServer } from '../server/start.js';
import type { CliIo } from './io.js';
import { formattedLog, resolveLogFormat } from './logFormat.js';
import { knownEnv } from './options.js';
import { LOG_FLUSH_TIMEOUT_MS, stdoutLog } from './stdoutLog.js';

/** pino paths that may carry a token; belt and braces, since we never log one on purpose. */
export const REDACT_PATHS = ['token', '*.token', 'req.headers.authorization', 'headers.authorization', 'url', '*.url'];

/**
 * `pubkeeper serve`: runs until SIGTERM/SIGINT, then drains and resolves with exit code 0.
 * `flags` are only those given on the command line (program.ts), keyed by setting.
 */
export async function serve({ flags, file }: { flags: NonNullable<ConfigSources['flags']>; file: string | undefined }, io: CliIo): Promise<number> {
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

/**
 * `PUBKEEPER_*` variables that no option of any command reads (the settings, the config file,
 * the clients' URL and token: program.ts): most likely a typo that would silently do nothing.
 */
function unknownEnv(env: NodeJS.ProcessEnv): string[] {
  const known = new Set([...CONFIG_KEYS.map(envName), ...knownEnv()]);
  return Object.keys(env).filter((name) => name.startsWith('PUBKEEPER_') && !known.has(name));
}
