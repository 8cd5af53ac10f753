import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A misuse of the command line: printed as one line on stderr, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, strict, with its errors turned into one-line usage errors. */
export function parseFlags(args: string[], options: Options): Record<string, string | string[] | boolean | undefined> {
  try {
    const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    return values as Record<string, string | string[] | boolean | undefined>;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // parseArgs messages are multi-line with hints; keep the first line.
    throw new UsageError(String((err as Error).message).split('\n', 1)[0]);
  }
}

/** Like `parseFlags`, for a command that also takes arguments (`watch PATTERN`). */
export function parseCommand(args: string[], options: Options): { values: Record<string, string | string[] | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true });
    return { values: values as Record<string, string | string[] | boolean | undefined>, positionals };
  } catch (err) {
    throw new UsageError(String((err as Error).message).split('\n', 1)[0]);
  }
}
