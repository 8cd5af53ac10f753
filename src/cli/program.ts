import { Argument, Command, Option } from 'commander';
import { KEYGEN_SETTINGS, keygenOptionsSchema, TOKEN_SETTINGS, tokenOptionsSchema } from '../config/commands.js';
import { CONFIG_KEYS, configSchema, envName, flagName, type ConfigKey } from '../config/schema.js';
import { adminCommand } from './admin.js';
import { completionScript, SHELLS, type Shell } from './completion.js';
import type { CliIo } from './io.js';
import { documented, flagValues, repeatable, lineage, optionDescription, schemaOptions } from './options.js';
import { UsageError } from './usageError.js';
import { packageVersion } from './version.js';
import { DEFAULT_RUN_TIMEOUT_MS, DEFAULT_RUN_TYPE } from './runDefaults.js';
import { DEFAULT_SERVER_URL } from './serverUrl.js';

/** Runs a command's work and keeps its exit code for `main` (commander only runs actions). */
export type Run = (work: () => number | Promise<number>) => Promise<void>;

/** What a command failure must know about the commander command it came from. */
export interface ProgramState {
  /** The command whose help commander sent to stderr (a subcommand was missing). */
  helpOnError?: Command;
  /** The command that raised a commander error (bad flag, unknown command…). */
  errorFrom?: Command;
}

/**
 * The whole command line as one commander program. Every flag is declared here once; `serve`'s
 * come from the config schema and `keygen`'s and `token`'s from their option schemas, so help,
 * parsing and completion cannot drift from the settings.
 */
export function buildProgram(io: CliIo, run: Run, state: ProgramState): Command {
  const program = new Command('pubkeeper')
    .description('Pub/sub discovery server and PCP broker')
    .version(packageVersion(), '-v, --version', 'print the version');

  program.addCommand(serveCommand(io, run)).addCommand(keygenCommand(io, run)).addCommand(tokenCommand(io, run));
  program.addCommand(watchCommand(io, run)).addCommand(runCommand(io, run)).addCommand(adminCommand(io, run));
  program.addCommand(
    new Command('completion')
      .description('print a shell completion script: source <(pubkeeper completion bash)')
      .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
      .action((shell: Shell) => run(() => (io.stdout(completionScript(program, shell)), 0))),
  );
  program.addCommand(new Command('version').description('print the version').action(() => run(() => (io.stdout(`${packageVersion()}\n`), 0))));
  for (const command of walk(program)) configure(command, io, run, state);
  return program;
}

/** `serve`: one flag per setting of the config schema, plus `--config FILE`. */
function serveCommand(io: CliIo, run: Run): Command {
  const command = new Command('serve')
    .description('run the server until SIGTERM or SIGINT, then drain and exit 0')
    .addOption(documented(new Option('--config <file>', 'JSON config file, keys as in the schema (camelCase)'), { env: 'PUBKEEPER_CONFIG' }));
  const keys = new Map<string, ConfigKey>(CONFIG_KEYS.map((key) => [flagName(key), key]));
  for (const { option } of schemaOptions(configSchema, (key) => envName(key as ConfigKey))) command.addOption(option);
  command.addHelpText('after', '\nPrecedence: defaults < --config FILE < PUBKEEPER_* env < flags.');
  return command.action((_options: unknown, self: Command) =>
    run(async () => {
      const values = flagValues(self);
      const flags: Partial<Record<ConfigKey, string>> = {};
      for (const [name, key] of keys) {
        const value = values[name];
        if (typeof value === 'string') flags[key] = value;
        else if (value === true) flags[key] = 'true';
      }
      const file = typeof values.config === 'string' ? values.config : io.env.PUBKEEPER_CONFIG;
      return (await import('./serve.js')).serve({ flags, file }, io);
    }),
  );
}

function keygenCommand(io: CliIo, run: Run): Command {
  const command = new Command('keygen').description('write a signing key (mode 0600) and its verification key into a directory');
  for (const { option } of schemaOptions(keygenOptionsSchema, settingEnv(KEYGEN_SETTINGS))) command.addOption(option);
  return command.action((_options: unknown, self: Command) => run(async () => (await import('./keygen.js')).keygen(flagValues(self), io)));
}

function tokenCommand(io: CliIo, run: Run): Command {
  const command = new Command('token').description('print one signed JWT on stdout, or with --check verify one');
  for (const { option } of schemaOptions(tokenOptionsSchema, settingEnv(TOKEN_SETTINGS))) command.addOption(option);
  return command.action((_options: unknown, self: Command) => run(async () => (await import('./token.js')).token(flagValues(self), io)));
}

function watchCommand(io: CliIo, run: Run): Command {
  return new Command('watch')
    .description('print one line per brewer coming (+) or going (-) until interrupted')
    .addArgument(new Argument('<pattern>', 'topic pattern, such as a.* or ** for everything'))
    .addOption(documented(new Option('--url <url>', 'the server (ws://, wss://, http:// or https://)'), { default: DEFAULT_SERVER_URL, env: 'PUBKEEPER_URL' }))
    .addOption(documented(new Option('--token <jwt>', 'a token with the right to subscribe to PATTERN; required'), { env: 'PUBKEEPER_TOKEN' }))
    .addOption(documented(new Option('--json', 'one JSON object per line: {"event":"notify"|"removed","topic":…,"brewer":{…}}'), { default: 'false' }))
    .action((pattern: string, _options: unknown, self: Command) => run(async () => (await import('./watch.js')).watch(pattern, flagValues(self), io)));
}

/** `run TARGET MODULE ACTION`: one PXP request to an agent (CONTRACT §9). */
function runCommand(io: CliIo, run: Run): Command {
  return new Command('run')
    .description('send one PXP request to an agent, print its results as JSON (exit 0) or why not (exit 1)')
    .addArgument(new Argument('<target>', 'the agent, pcp://NAME/TYPE'))
    .addArgument(new Argument('<module>', 'the module of the action'))
    .addArgument(new Argument('<action>', 'the action'))
    .addOption(new Option('--params <json>', 'the action\'s parameters, a JSON object'))
    .addOption(documented(new Option('--non-blocking', 'a non-blocking request: the agent answers at once, the results when done'), { default: 'false' }))
    .addOption(documented(new Option('--timeout-ms <n>', 'how long to wait for the results'), { default: String(DEFAULT_RUN_TIMEOUT_MS) }))
    .addOption(documented(new Option('--type <type>', 'this client\'s PCP type: it connects as pcp://<token sub>/<type>'), { default: DEFAULT_RUN_TYPE }))
    .addOption(repeatable(new Option('--data <name=json>', 'the answer to the agent\'s data request NAME (repeatable)')))
    .addOption(documented(new Option('--json', 'the provisional response, progress and data requests as JSON lines on stderr'), { default: 'false' }))
    .addOption(documented(new Option('--url <url>', 'the server (ws://, wss://, http:// or https://)'), { default: DEFAULT_SERVER_URL, env: 'PUBKEEPER_URL' }))
    .addOption(documented(new Option('--token <jwt>', 'a token with the right to send to TARGET; required'), { env: 'PUBKEEPER_TOKEN' }))
    .action((target: string, module: string, action: string, _options: unknown, self: Command) =>
      run(async () => (await import('./run.js')).run(target, module, action, flagValues(self), io)),
    );
}

/** The env variable of the server setting an option stands for, if it stands for one. */
function settingEnv(settings: Readonly<Record<string, ConfigKey>>): (key: string) => string | undefined {
  return (key) => {
    const setting = settings[key];
    return setting === undefined ? undefined : envName(setting);
  };
}

/**
 * What every command shares: help that shows defaults and env variables in declaration order,
 * a `help [command]` command where there are subcommands, and errors that neither print nor
 * exit but throw to `main`, which makes each one line and an exit code.
 */
function configure(command: Command, io: CliIo, run: Run, state: ProgramState): void {
  command
    .exitOverride()
    // The admin subcommands share the admin command's flags: their help shows those too.
    .configureHelp({ sortOptions: false, sortSubcommands: false, showGlobalOptions: lineage(command).length > 2, optionDescription })
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      // Only help sent after a usage error (a missing subcommand) comes here: main prints one line instead.
      writeErr: () => {
        state.helpOnError = command;
      },
      outputError: () => {
        state.errorFrom = command;
      },
    })
    .showHelpAfterError(false)
    .helpCommand(false);
  if (command.commands.length === 0) return;
  const help = helpCommand(command, io, run);
  command.addCommand(help);
  configure(help, io, run, state);
}

/** `help [command...]`: the help of this command or of one below it, on stdout, exit 0. */
function helpCommand(parent: Command, io: CliIo, run: Run): Command {
  return new Command('help')
    .description('print the help of a command')
    .argument('[command...]', 'the command')
    .action((names: string[]) =>
      run(() => {
        let target = parent;
        for (const name of names) {
          const next = target.commands.find((c) => c.name() === name);
          if (next === undefined) throw new UsageError(`unknown command "${[...lineage(target).reverse().slice(1).map((c) => c.name()), name].join(' ')}"`);
          target = next;
        }
        target.outputHelp();
        return 0;
      }),
    );
}

/** The command and every command below it. */
export function walk(command: Command): Command[] {
  return [command, ...command.commands.flatMap(walk)];
}
