import { CommanderError, type Command } from 'commander';
import type { CliIo } from './io.js';
import { lineage } from './options.js';
import { buildProgram, type ProgramState } from './program.js';

const USAGE = 'usage: pubkeeper <serve|keygen|token|watch|admin|completion> [flags]; pubkeeper help [command]';

/**
 * Runs one command and returns its exit code; nothing here exits the process. Any failure before
 * serving (bad flag, unknown command, missing argument, missing key, unreadable config) is one
 * line on stderr and exit 2; help and the version are exit 0.
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  if (argv.length === 0) {
    io.stderr(`pubkeeper: missing a command; ${USAGE}\n`);
    return 2;
  }
  let code = 0;
  const state: ProgramState = {};
  const program = buildProgram(
    io,
    async (work) => {
      code = await work();
    },
    state,
  );
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (!(err instanceof CommanderError)) {
      io.stderr(`pubkeeper ${argv[0]}: ${firstLine(err)}\n`);
      return 2;
    }
    // Help and the version are printed (on stdout) by commander before it throws.
    if (err.exitCode === 0) return 0;
    if (err.code === 'commander.help' && state.helpOnError) {
      const command = state.helpOnError;
      io.stderr(`${prefix(command)}: missing a subcommand; usage: ${path(command)} <${command.commands.filter((c) => c.name() !== 'help').map((c) => c.name()).join('|')}> [flags]\n`);
      return 2;
    }
    // commander's messages are `error: …`, with a "(Did you mean …?)" on a line of its own.
    const from = state.errorFrom ?? program;
    io.stderr(`${prefix(from)}: ${err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').replace(/\.$/, '')}; see ${path(from)} --help\n`);
    return 2;
  }
}

/** `pubkeeper admin revoke`: the command as typed. */
function path(command: Command): string {
  return lineage(command)
    .reverse()
    .map((c) => c.name())
    .join(' ');
}

/** `pubkeeper admin`: errors are prefixed by the top-level command, as the commands' own are. */
function prefix(command: Command): string {
  const chain = lineage(command).reverse();
  return chain
    .slice(0, 2)
    .map((c) => c.name())
    .join(' ');
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n', 1)[0] ?? '';
}
