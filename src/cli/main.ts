import { keygen } from './keygen.js';
import type { CliIo } from './io.js';
import { token } from './token.js';
import { packageVersion } from './version.js';

const USAGE = 'usage: pubkeeper <serve|keygen|token|admin|watch> [flags]; pubkeeper --version';

/**
 * Runs one command and returns its exit code. Any failure before serving (bad flag, unknown
 * command, missing key, unreadable config) is one line on stderr and exit 2.
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      // Loaded when asked for: `admin` has no use for the whole server, and starts faster without it.
      case 'serve':
        return await (await import('./serve.js')).serve(args, io);
      case 'keygen':
        return keygen(args, io);
      case 'token':
        return token(args, io);
      case 'admin':
        return await (await import('./admin.js')).admin(args, io);
      case 'watch':
        return await (await import('./watch.js')).watch(args, io);
      case '--version':
      case '-v':
      case 'version':
        io.stdout(`${packageVersion()}\n`);
        return 0;
      case undefined:
      case '--help':
      case '-h':
        io.stderr(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        io.stderr(`pubkeeper: unknown command "${command}"; ${USAGE}\n`);
        return 2;
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(`pubkeeper ${command}: ${message.split('\n', 1)[0]}\n`);
    return 2;
  }
}
