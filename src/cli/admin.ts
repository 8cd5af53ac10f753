import { AdminFailure } from './admin/api.js';
import { kick, revoke, staticBrewer, unrevoke } from './admin/commands.js';
import { DEFAULT_TIMEOUT_MS, DEFAULT_URL } from './admin/context.js';
import { commands, discarded, sessions, topics } from './admin/listings.js';
import { printable } from './admin/table.js';
import { UsageError } from './flags.js';
import type { CliIo } from './io.js';

type Subcommand = (args: string[], io: CliIo) => Promise<number>;

const SUBCOMMANDS = new Map<string, Subcommand>([
  ['revoke', revoke],
  ['unrevoke', unrevoke],
  ['kick', kick],
  ['static-brewer', staticBrewer],
  ['sessions', sessions],
  ['topics', topics],
  ['commands', commands],
  ['discarded', discarded],
]);

const USAGE_LINE = `usage: pubkeeper admin <${[...SUBCOMMANDS.keys()].join('|')}> [flags] --url URL --token JWT`;

export const ADMIN_USAGE = `${USAGE_LINE}

Commands (queued on the server, then waited for; exit 1 if the command fails):
  revoke --jti J | --sub S            close the sessions using it (4004) and refuse it from now on
  unrevoke --jti J | --sub S          accept such tokens again
  kick --sub S | --uri pcp://N/T      close that client's sessions (4005); it may reconnect
  static-brewer --topic T --brewer JSON [--remove]
                                      register a server-owned brewer ({"uuid":…}); with --remove
                                      unregister it (--brewer may then be its uuid)

Listings:
  sessions [--limit N]                live sessions (every page, N per request)
  topics [--limit N]                  topics with their brewers and subscriber counts
  commands [--uuid U] [--limit N]     recent commands, or one command's record
  discarded [--requeue U | --delete U]
                                      dead letters; requeue one (and wait for it) or delete one

Flags for every command:
  --url URL          the server (env PUBKEEPER_URL; default ${DEFAULT_URL})
  --token JWT        a token with the right admin:* or all (env PUBKEEPER_TOKEN; required)
  --json             machine output: the JSON records instead of tables and summaries
  --timeout-ms N     how long to wait for a command to finish (default ${DEFAULT_TIMEOUT_MS}); each
                     request may take that long too, and at least ${DEFAULT_TIMEOUT_MS}
  --no-wait          (commands, --requeue) print the command's uuid once queued, do not wait

Exit codes: 0 done; 1 refused by the server, failed, unreachable or not finished in time
(one line on stderr); 2 a usage error.
`;

/**
 * `pubkeeper admin <subcommand> …`: a client of the admin HTTP API (protocol/admin.md).
 * A usage error is thrown to main (exit 2); a refusal, a failed command or an unreachable server
 * is one line on stderr and exit 1.
 */
export async function admin(args: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = args;
  if (name === 'help' || args.includes('--help') || args.includes('-h')) {
    io.stdout(ADMIN_USAGE);
    return 0;
  }
  if (name === undefined) throw new UsageError(`missing a subcommand; ${USAGE_LINE}`);
  const run = SUBCOMMANDS.get(name);
  if (!run) throw new UsageError(`unknown subcommand "${name}"; ${USAGE_LINE}`);
  try {
    return await run(rest, io);
  } catch (err) {
    if (!(err instanceof AdminFailure)) throw err;
    // The server's reasons quote what it was sent: kept on one line whatever that held.
    io.stderr(`pubkeeper admin: ${printable(err.message)}\n`);
    return 1;
  }
}
