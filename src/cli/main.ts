import { CommanderError, type Command } from 'commander';
import type { CliIo } from './io.js';
import { lineage } from './options.js';
import { buildProgram, type ProgramState } from './program.js';

/**
 * Runs one command and returns its exit code; nothing here exits the process. Any failure before
 * serving (bad flag, unknown command, missing argument, missing key, unreadable config) is one
 * line on stderr and exit 2; help and the version are exit 0.
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  let code = 0;
  const state: ProgramState = {};
  const program = buildProgram(
    io,
    async (work) => {
      code = await work();
    },
    state,
  );
  if (argv.length === 0) {
    io.stderr(`pubkeeper: missing a command; ${usage(program)}; pubkeeper help [command]\n`);
    return 2;
  }
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
      io.stderr(`${prefix(state.helpOnError)}: missing a subcommand; ${usage(state.helpOnError)}\n`);
      return 2;
    }
    // commander's messages are `error: …`, with a "(Did you mean …?)" on a line of its own.
    const from = state.errorFrom ?? program;
    io.stderr(`${prefix(from)}: ${err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').replace(/\.$/, '')}; see ${path(from)} --help\n`);
    return 2;
  }
}

/** `usage: pubkeeper admin <revoke|unrevoke|…> [flags]`, from the subcommands the program has. */
function usage(command: Command): string {
  const names = command.commands.map((c) => c.name()).filter((name) => name !== 'help' && name !== 'version');
  return `usage: ${path(command)} <${names.join('|')}> [flags]`;
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
