import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { onTestFinished } from 'vitest';

/**
 * A redis-server of the test's own, on a free loopback port, with no persistence: the test can
 * kill it (its data is lost, as in a crash), pause it with SIGSTOP and start it again on the same
 * port. Killed when the test ends.
 */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** SIGKILL; resolves once the process is gone. */
  kill(): Promise<void>;
  /** A new, empty redis-server on the same port. */
  restart(): Promise<void>;
  pause(): void;
  resume(): void;
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child = await launch(port);
  const stopAtEnd = (): void => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  };
  onTestFinished(stopAtEnd);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill: async () => {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await gone;
    },
    restart: async () => {
      child = await launch(port);
    },
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
  };
}

/** Resolves once redis-server says it accepts connections. */
function launch(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('Ready to accept connections')) resolve(child);
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${output}`)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
