// The CLI explains itself (CONTRACT §2): help for every command with each flag's default and env
// variable, checked against the schemas the flags come from; errors that name the flag, env
// variable or config file at fault; shell completion. Each case runs bin/pubkeeper.js.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { KEYGEN_SETTINGS, keygenOptionsSchema, TOKEN_SETTINGS, tokenOptionsSchema } from '../../src/config/commands.js';
import { CONFIG_KEYS, configSchema, envName, flagName, type ConfigKey } from '../../src/config/schema.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { tempDir } from '../helpers/keys.js';

/** Help text with its wrapping undone: each option's line reads whole. */
const flat = (text: string): string => text.replace(/\s+/g, ' ');
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `--flag[ <placeholder>] description (default: D, env: E)`, the extras as the schema says. */
function optionLine(flag: string, description: string, shown: unknown, env: string | undefined): RegExp {
  const extras = [shown === undefined ? undefined : `default: ${String(shown)}`, env === undefined ? undefined : `env: ${env}`].filter((e) => e !== undefined);
  const tail = extras.length === 0 ? '' : ` \\(${escape(extras.join(', '))}\\)`;
  return new RegExp(`${escape(flag)}( <[a-z]+>)? ${escape(description)}${tail}`);
}

/** Every field of an option schema appears in `help` with its description, default and env. */
function expectSchemaInHelp(help: string, schema: z.ZodObject, envOf: (key: string) => string | undefined): void {
  const defaults = schema.parse({}) as Record<string, unknown>;
  for (const [key, field] of Object.entries(schema.shape)) {
    expect(flat(help)).toMatch(optionLine(`--${flagName(key)}`, field.description ?? '', defaults[key], envOf(key)));
  }
}

const expectUsageError = (result: CliResult, message: RegExp): void => {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(message);
};

describe('CLI help', () => {
  it.concurrent('help, --help and -h print the commands on stdout, exit 0', async () => {
    for (const args of [['help'], ['--help'], ['-h']]) {
      const result = await runCli(args);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      for (const command of ['serve', 'keygen', 'token', 'watch', 'run', 'admin', 'completion', 'help']) expect(result.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
  });

  it.concurrent('serve --help lists every setting of the config schema with its flag, meaning, default and env variable', async () => {
    const result = await runCli(['serve', '--help']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const defaults = configSchema.parse({});
    for (const key of CONFIG_KEYS) {
      expect(flat(result.stdout)).toMatch(optionLine(`--${flagName(key)}`, configSchema.shape[key].description ?? '', defaults[key], envName(key)));
    }
    expect(flat(result.stdout)).toContain('--config <file> JSON config file, keys as in the schema (camelCase) (env: PUBKEEPER_CONFIG)');
    // `help serve` is the same text.
    expect((await runCli(['help', 'serve'])).stdout).toBe(result.stdout);
  });

  it.concurrent('keygen --help and token --help list every option of their schemas, with the env variable of the setting each stands for', async () => {
    const envOf = (settings: Readonly<Record<string, ConfigKey>>) => (key: string) => (settings[key] === undefined ? undefined : envName(settings[key]));
    const keygen = await runCli(['keygen', '--help']);
    expect(keygen.code).toBe(0);
    expectSchemaInHelp(keygen.stdout, keygenOptionsSchema, envOf(KEYGEN_SETTINGS));
    expect(flat(keygen.stdout)).toContain('env: PUBKEEPER_KEYS');
    const token = await runCli(['token', '--help']);
    expect(token.code).toBe(0);
    expectSchemaInHelp(token.stdout, tokenOptionsSchema, envOf(TOKEN_SETTINGS));
    expect(flat(token.stdout)).toContain('(default: 30d)');
  });

  it.concurrent('watch, admin and admin <subcommand> --help show each flag with its default and env variable', async () => {
    const watch = flat((await runCli(['watch', '--help'])).stdout);
    expect(watch).toMatch(/--url <url> .*\(default: ws:\/\/127\.0\.0\.1:9898, env: PUBKEEPER_URL\)/);
    expect(watch).toMatch(/--token <jwt> .*\(env: PUBKEEPER_TOKEN\)/);
    expect(watch).toMatch(/--json .*\(default: false\)/);
    const run = flat((await runCli(['run', '--help'])).stdout);
    expect(run).toMatch(/Usage: pubkeeper run \[options\] <target> <module> <action>/);
    expect(run).toMatch(/--timeout-ms <n> .*\(default: 30000\)/);
    expect(run).toMatch(/--type <type> .*\(default: controller\)/);
    expect(run).toMatch(/--url <url> .*\(default: ws:\/\/127\.0\.0\.1:9898, env: PUBKEEPER_URL\)/);
    expect(run).toMatch(/--token <jwt> .*\(env: PUBKEEPER_TOKEN\)/);
    expect(run).toMatch(/--data <name=json> /);
    const admin = flat((await runCli(['admin', '--help'])).stdout);
    expect(admin).toMatch(/--url <url> .*\(default: http:\/\/127\.0\.0\.1:9898, env: PUBKEEPER_URL\)/);
    expect(admin).toMatch(/--timeout-ms <ms> .*\(default: 10000\)/);
    // A subcommand shows its own flags and the admin command's, which it takes too.
    const revoke = await runCli(['admin', 'revoke', '--help']);
    expect(revoke).toMatchObject({ code: 0, stderr: '' });
    for (const flag of ['--jti <id>', '--sub <name>', '--no-wait', '--url <url>', '--token <jwt>', '--json', '--timeout-ms <ms>']) expect(flat(revoke.stdout)).toContain(flag);
    expect(flat(revoke.stdout)).toContain('env: PUBKEEPER_TOKEN');
    expect((await runCli(['admin', 'help', 'revoke'])).stdout).toBe(revoke.stdout);
    expect((await runCli(['help', 'admin', 'revoke'])).stdout).toBe(revoke.stdout);
  });

  it.concurrent('--version, -v and version print the package version, exit 0', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const args of [['--version'], ['-v'], ['version']]) expect(await runCli(args)).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});

describe('CLI errors: one line naming what is at fault, exit 2', () => {
  const cases: [string, string[], RegExp, NodeJS.ProcessEnv?][] = [
    ['an unknown command, with a suggestion', ['serv'], /^pubkeeper: unknown command 'serv' \(Did you mean serve\?\); see pubkeeper --help\n$/],
    ['an unknown flag, with a suggestion', ['serve', '--prot', '1'], /^pubkeeper serve: unknown option '--prot' \(Did you mean --port\?\); see pubkeeper serve --help\n$/],
    ['a flag without its value', ['token', '--sub'], /option '--sub <name>' argument missing/],
    ['a missing argument', ['watch', '--token', 'x'], /missing required argument 'pattern'/],
    ['help for an unknown command', ['help', 'frob'], /unknown command "frob"/],
    ['a missing admin subcommand', ['admin'], /^pubkeeper admin: missing a subcommand; usage: pubkeeper admin <revoke\|.*discarded> \[flags\]\n$/],
    ['a bad flag value', ['serve', '--cluster-lease-ms', '10'], /^pubkeeper serve: invalid value for --cluster-lease-ms \(env PUBKEEPER_CLUSTER_LEASE_MS\): must be at least 200\n$/],
    ['a bad env value', ['serve'], /^pubkeeper serve: invalid value for env PUBKEEPER_MAX_FRAME_BYTES \(flag --max-frame-bytes\): must be above 0\n$/, { PUBKEEPER_MAX_FRAME_BYTES: '0' }],
    ['a bad log level', ['serve', '--log-level', 'loud'], /invalid value for --log-level .*: must be one of fatal, error, warn, info, debug, trace, silent/],
    ['an unknown completion shell', ['completion', 'tcsh'], /'tcsh' is invalid .*bash, zsh/],
  ];
  it.concurrent.each(cases)('%s', async (_what, args, message, env = {}) => {
    expectUsageError(await runCli(args, env), message);
  });

  it.concurrent('a bad value in the config file names the file and the key; a flag overriding it wins', async () => {
    const dir = tempDir();
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ port: 'abc' }));
    expectUsageError(await runCli(['serve', '--config', file, '--keys', dir]), new RegExp(`invalid value for "port" in config file ${escape(file)} \\(flag --port, env PUBKEEPER_PORT\\): must be a number`));
    // The env value overrides the file's: the env variable is then the one at fault.
    expectUsageError(await runCli(['serve', '--config', file, '--keys', dir], { PUBKEEPER_PORT: '99999' }), /invalid value for env PUBKEEPER_PORT \(flag --port\): must be at most 65535/);
  });
});

describe('shell completion', () => {
  /** Runs the generated bash completion for the words typed so far; returns what it offers. */
  async function complete(words: string[]): Promise<string[]> {
    const script = (await runCli(['completion', 'bash'])).stdout;
    const run = promisify(execFile);
    const program = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _pubkeeper; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const { stdout } = await run('bash', ['-c', program]);
    return stdout.split('\n').filter((line) => line !== '');
  }

  it.concurrent('bash completes commands, subcommands and every flag generated from the schema', async () => {
    expect(await complete(['pubkeeper', 'se'])).toEqual(['serve']);
    const cluster = CONFIG_KEYS.map(flagName).filter((flag) => flag.startsWith('clu')).map((flag) => `--${flag}`);
    expect(cluster).toEqual(expect.arrayContaining(['--cluster', '--cluster-prefix', '--cluster-lease-ms']));
    expect((await complete(['pubkeeper', 'serve', '--clu'])).sort()).toEqual(cluster.sort());
    expect((await complete(['pubkeeper', 'serve', '--'])).sort()).toEqual(expect.arrayContaining(CONFIG_KEYS.map((key) => `--${flagName(key)}`)));
    expect(await complete(['pubkeeper', 'admin', 'st'])).toEqual(['static-brewer']);
    // An admin subcommand offers the admin command's flags too.
    expect(await complete(['pubkeeper', 'admin', 'revoke', '--t'])).toEqual(['--token', '--timeout-ms']);
    expect(await complete(['pubkeeper', 'completion', ''])).toEqual(expect.arrayContaining(['bash', 'zsh']));
    // After a flag that takes a value nothing is offered: the shell completes file names.
    expect(await complete(['pubkeeper', 'serve', '--keys', ''])).toEqual([]);
  });

  it.concurrent('zsh gets a compdef script with the same commands and flags', async () => {
    const result = await runCli(['completion', 'zsh']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^#compdef pubkeeper\n/);
    expect(result.stdout).toContain('compdef _pubkeeper pubkeeper');
    expect(result.stdout).toContain("'admin static-brewer'");
    for (const key of CONFIG_KEYS) expect(result.stdout).toContain(`'--${flagName(key)}:`);
  });
});
