import { spawn, type ChildProcess } from 'node:child_process';
import { tempDir } from './keys.js';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = `${ROOT}bin/pubkeeper.js`;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT): Promise<CliResult> {
  return runNode([BIN, ...args], { ...cleanEnv(), ...env }, cwd);
}

/** Runs `node ARGS` to completion with exactly `env`, collecting its output. */
export function runNode(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** No PUBKEEPER_* from the developer's shell leaks into a test. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PUBKEEPER_')));
}

export interface RunningServer {
  child: ChildProcess;
  port: number;
  /** Every JSON log line so far. */
  logs: Record<string, unknown>[];
  exited: Promise<number | null>;
}

/** Starts `pubkeeper serve` and resolves once its "listening" line says the port. Killed at test end. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT): Promise<RunningServer> {
  return spawnServe(args, 'read', env, cwd);
}

/** What becomes of a server's stdout once its "listening" line has been read. */
export type StdoutFate = 'closed' | 'unread';

/**
 * Starts `pubkeeper serve` like `startCli`, then, once the "listening" line has been read, either
 * closes the test's end of its stdout (`closed`: the reader is gone, the server's writes fail with
 * EPIPE) or never reads it again (`unread`: a reader that hangs, so the pipe fills up). `logs`
 * holds the lines up to "listening". Killed at test end.
 */
export function startCliWithStdout(args: string[], fate: StdoutFate, env: NodeJS.ProcessEnv = {}, cwd = ROOT): Promise<RunningServer> {
  return spawnServe(args, fate, env, cwd);
}

/** `serve` with its admin state in a temp directory unless the test names one; `read` keeps reading its logs. */
function spawnServe(args: string[], fate: StdoutFate | 'read', env: NodeJS.ProcessEnv, cwd: string): Promise<RunningServer> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], {
    cwd,
    env: { ...cleanEnv(), PUBKEEPER_DATA_DIR: tempDir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const onData = (d: Buffer): void => {
      buffered += d.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const entry = JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>;
        buffered = buffered.slice(newline + 1);
        logs.push(entry);
        if (typeof entry.msg !== 'string' || !entry.msg.startsWith('listening')) continue;
        resolve({ child, port: Number(entry.port), logs, exited });
        if (fate === 'read') continue;
        child.stdout.off('data', onData);
        if (fate === 'closed') child.stdout.destroy();
        else child.stdout.pause();
        return;
      }
    };
    child.stdout.on('data', onData);
    void exited.then((code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
}
