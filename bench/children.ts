// Every process the suite starts goes through here, so that every one of them is killed when the
// suite ends, fails or is interrupted: no server outlives the bench.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { connect, createServer } from 'node:net';

const live = new Set<ChildProcess>();

function killAll(): void {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  live.clear();
}

process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** Children started and not yet exited: 0 once a benchmark has cleaned up after itself. */
export function liveChildren(): number {
  return live.size;
}

export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly name: string;
  /** stdout and stderr, kept for an error message when the child dies early. */
  output(): string;
  /** Resolves with the first line of stdout or stderr that `pred` accepts. */
  line(pred: (line: string) => boolean, ms: number): Promise<string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts a child whose stdout and stderr are read line by line (and never left to fill a pipe). */
export function startChild(name: string, command: string, args: string[], options: SpawnOptions = {}): Child {
  const proc = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  if (proc.pid === undefined) throw new Error(`${name}: could not start ${command}.`);
  live.add(proc);
  let tail = '';
  const watchers: { pred: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  const exited = new Promise<void>((resolve) =>
    proc.once('exit', () => {
      live.delete(proc);
      resolve();
    }),
  );
  const onLines = (): ((chunk: Buffer) => void) => {
    let partial = '';
    return (chunk) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      partial += text;
      let newline: number;
      while ((newline = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, newline);
        partial = partial.slice(newline + 1);
        for (let i = watchers.length - 1; i >= 0; i--) {
          const watcher = watchers[i];
          if (watcher?.pred(line)) {
            watchers.splice(i, 1);
            watcher.resolve(line);
          }
        }
      }
    };
  };
  proc.stdout?.on('data', onLines());
  proc.stderr?.on('data', onLines());
  return {
    process: proc,
    pid: proc.pid,
    name,
    output: () => tail,
    line: (pred, ms) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => fail(`no expected output within ${ms} ms`), ms);
        const onExit = (): void => fail('exited');
        const fail = (why: string): void => {
          clearTimeout(timer);
          proc.off('exit', onExit);
          reject(new Error(`${name} (pid ${proc.pid}) ${why}; its output:\n${tail}`));
        };
        proc.once('exit', onExit);
        watchers.push({
          pred,
          resolve: (line) => {
            clearTimeout(timer);
            proc.off('exit', onExit);
            resolve(line);
          },
        });
      }),
    stop: async (graceMs = 2000) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A port that was free a moment ago, for peers that cannot be told to pick one themselves. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on the port; `child` dying first rejects. */
export async function waitForPort(port: number, child: Child, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (child.process.exitCode !== null) throw new Error(`${child.name} exited before listening; its output:\n${child.output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > until) throw new Error(`${child.name} is not listening on ${port} after ${ms} ms; its output:\n${child.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
