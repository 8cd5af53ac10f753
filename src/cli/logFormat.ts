import type { DestinationStream } from 'pino';
import type { Config } from '../config/schema.js';

/** What `--log-format` resolves to once `auto` has looked at stdout. */
export type ResolvedLogFormat = 'json' | 'pretty';

/** `auto`: lines for people on a terminal, JSON for whatever reads a pipe or a file. */
export function resolveLogFormat(format: Config['logFormat'], isTTY: boolean | undefined): ResolvedLogFormat {
  if (format === 'auto') return isTTY === true ? 'pretty' : 'json';
  return format;
}

/**
 * The stream pino writes to for `format`: `stream` itself for JSON; for pretty, a formatter in
 * front of it. pino-pretty is used as a synchronous formatter (`prettyFactory`), not as a transport:
 * a transport would write from a worker thread with a buffer of its own, past the bounded,
 * never-blocking writer of `stdoutLog.ts`, which thus keeps its properties (dropped lines counted,
 * shutdown bounded) whatever the format. pino-pretty parses each line again: a cost for a terminal's
 * reader, where volume is low, not for JSON. Loaded only when asked for, so JSON logging never loads it.
 */
export async function formattedLog(format: ResolvedLogFormat, stream: DestinationStream, isTTY: boolean | undefined): Promise<DestinationStream> {
  if (format === 'json') return stream;
  const { prettyFactory, isColorSupported } = await import('pino-pretty');
  const pretty = prettyFactory({
    // Colours only for a terminal (and not with NO_COLOR): a file or a pipe gets plain text.
    colorize: isTTY === true && isColorSupported,
    // One line per entry: a busy server's log stays one entry per line on a terminal, too.
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
  return {
    write(line: string): void {
      stream.write(pretty(line));
    },
  };
}
