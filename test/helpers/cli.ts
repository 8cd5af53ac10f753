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
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...cleanEnv(), ...env } });
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
  // The admin state goes to a temp directory unless the test names one.
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd, env: { ...cleanEnv(), PUBKEEPER_DATA_DIR: tempDir(), ...env } });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (typeof entry.msg === 'string' && entry.msg.startsWith('listening')) {
          resolve({ child, port: Number(entry.port), logs, exited });
        }
      }
    });
    void exited.then((code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
}
