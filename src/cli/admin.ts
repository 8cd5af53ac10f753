import { Command, Option } from 'commander';
import { AdminFailure } from './admin/api.js';
import { kick, revoke, staticBrewer, unrevoke } from './admin/commands.js';
import { DEFAULT_TIMEOUT_MS, DEFAULT_URL } from './admin/context.js';
import { commands, discarded, sessions, topics } from './admin/listings.js';
import { printable } from './admin/table.js';
import type { CliIo } from './io.js';
import { documented, flagValues, type FlagValues } from './options.js';
import type { Run } from './program.js';

type Subcommand = (values: FlagValues, io: CliIo) => Promise<number>;

const flag = (flags: string, description: string): Option => new Option(flags, description);
const noWait = (): Option => documented(flag('--no-wait', 'print the command\'s uuid once queued, do not wait for it'), { default: 'false' });
const limit = (): Option => flag('--limit <n>', 'records per request (every page is fetched)');

/**
 * `pubkeeper admin <subcommand> …`: a client of the admin HTTP API (protocol/admin.md). The flags
 * every subcommand takes are the admin command's own, so they are declared and shown once.
 * A usage error is thrown to main (exit 2); a refusal, a failed command or an unreachable server
 * is one line on stderr and exit 1.
 */
export function adminCommand(io: CliIo, run: Run): Command {
  const admin = new Command('admin')
    .description('drive the admin API of a running server (revoke, kick, static brewers, listings)')
    .addOption(documented(flag('--url <url>', 'the server'), { default: DEFAULT_URL, env: 'PUBKEEPER_URL' }))
    .addOption(documented(flag('--token <jwt>', 'a token with the right admin:* or all; required'), { env: 'PUBKEEPER_TOKEN' }))
    .addOption(documented(flag('--json', 'machine output: the JSON records instead of tables and summaries'), { default: 'false' }))
    .addOption(
      documented(flag('--timeout-ms <ms>', `how long to wait for a command to finish; each request may take that long too, and at least ${DEFAULT_TIMEOUT_MS}`), {
        default: String(DEFAULT_TIMEOUT_MS),
      }),
    )
    .addHelpText('after', '\nExit codes: 0 done; 1 refused by the server, failed, unreachable or not finished in time (one line on stderr); 2 a usage error.');

  const sub = (name: string, description: string, options: Option[], action: Subcommand): void => {
    const command = new Command(name).description(description);
    for (const option of options) command.addOption(option);
    admin.addCommand(command.action((_options: unknown, self: Command) => run(() => reported(action(flagValues(self), io), io))));
  };
  sub('revoke', 'close the sessions using a token (4004) and refuse it from now on; give --jti or --sub', [flag('--jti <id>', 'the token\'s id'), flag('--sub <name>', 'every token of this client'), noWait()], revoke);
  sub('unrevoke', 'accept such tokens again; give --jti or --sub', [flag('--jti <id>', 'the token\'s id'), flag('--sub <name>', 'every token of this client'), noWait()], unrevoke);
  sub('kick', 'close a client\'s sessions (4005); it may reconnect; give --sub or --uri', [flag('--sub <name>', 'every session of this client'), flag('--uri <uri>', 'the PCP client pcp://NAME/TYPE'), noWait()], kick);
  sub(
    'static-brewer',
    'register a server-owned brewer on a topic; with --remove unregister it',
    [
      flag('--topic <topic>', 'the topic; required'),
      flag('--brewer <json>', 'the brewer, a JSON object such as {"uuid":"b1"} (with --remove, its uuid is enough); required'),
      documented(flag('--remove', 'unregister instead'), { default: 'false' }),
      noWait(),
    ],
    staticBrewer,
  );
  sub('sessions', 'list the live sessions', [limit()], sessions);
  sub('topics', 'list the topics with their brewers and subscriber counts', [limit()], topics);
  sub('commands', 'list recent commands, or show one', [flag('--uuid <uuid>', 'show this command\'s record'), limit()], commands);
  sub(
    'discarded',
    'list the dead letters; requeue one (and wait for it) or delete one',
    [flag('--requeue <uuid>', 'put this one back in the queue'), flag('--delete <uuid>', 'drop this one'), noWait()],
    discarded,
  );
  return admin;
}

/** An AdminFailure is the server's answer, not a usage error: one line on stderr, exit 1. */
async function reported(work: Promise<number>, io: CliIo): Promise<number> {
  try {
    return await work;
  } catch (err) {
    if (!(err instanceof AdminFailure)) throw err;
    // The server's reasons quote what it was sent: kept on one line whatever that held.
    io.stderr(`pubkeeper admin: ${printable(err.message)}\n`);
    return 1;
  }
}
