import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { ROOT, startCli, startCliWithStdout, type RunningServer } from '../helpers/cli.js';

const DEBUG = ['--port', '0', '--host', '127.0.0.1', '--log-level', 'debug'];

/**
 * Opens and closes `sessions` sessions, 100 at a time: two debug lines each ("session opened",
 * "session closed"), about 330 bytes.
 */
async function churn(port: number, sessions: number): Promise<void> {
  for (let done = 0; done < sessions; done += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, sessions - done) }, async () => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
        await once(ws, 'open');
        ws.close();
        await once(ws, 'close');
      }),
    );
  }
}

async function connected(port: number): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  await once(ws, 'open');
  return ws;
}

async function droppedLines(port: number, headers: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers })).text();
  return Number(/^pubkeeper_log_lines_dropped_total (\d+)$/m.exec(text)?.[1]);
}

/** SIGTERM, then how long the process took to exit, and its code. */
async function terminate(server: RunningServer): Promise<{ code: number | null; ms: number }> {
  const start = performance.now();
  server.child.kill('SIGTERM');
  const code = await server.exited;
  return { code, ms: performance.now() - start };
}

/** SIGTERM with a client connected: the client gets 1001 and the process exits 0 within the contract's 5 s. */
async function exitsCleanly(server: RunningServer): Promise<void> {
  const client = await connected(server.port);
  const closed = new Promise<number>((resolve) => client.once('close', resolve));
  const { code, ms } = await terminate(server);
  expect(code).toBe(0);
  expect(ms, `exited ${Math.round(ms)} ms after SIGTERM`).toBeLessThan(5000);
  expect(await closed).toBe(1001);
}

describe('CLI shutdown whatever becomes of stdout (CONTRACT §6: SIGTERM exits 0 within 5 s)', () => {
  it('the reader of stdout is gone (EPIPE): the server keeps serving, counts the lines it cannot write, and exits 0 within 5 s of SIGTERM', async () => {
    const server = await startCliWithStdout(DEBUG, 'closed');
    await churn(server.port, 300);
    const health = await fetch(`http://127.0.0.1:${server.port}/healthz`, { signal: AbortSignal.timeout(2000) });
    expect(health.status).toBe(200);
    expect(await droppedLines(server.port)).toBeGreaterThanOrEqual(500);
    await exitsCleanly(server);
  });

  it('nobody reads stdout (the pipe fills up): /healthz still answers, and SIGTERM exits 0 within 5 s', async () => {
    const server = await startCliWithStdout(DEBUG, 'unread');
    // About 500 KB of log lines: past what the pipe holds (64 KiB for a pipe, a few hundred KiB
    // for the socket pair a test gets), so the server has lines it cannot write out.
    await churn(server.port, 1500);
    // A server blocked on its stdout would not answer at all.
    const health = await fetch(`http://127.0.0.1:${server.port}/healthz`, { signal: AbortSignal.timeout(2000) });
    expect(health.status).toBe(200);
    await exitsCleanly(server);
  });

  it('a reader that keeps up gets every line, the last ones of the shutdown included, and none is dropped (--metrics-token on the command line)', async () => {
    const server = await startCli([...DEBUG, '--metrics-token', 'scrape-secret']);
    await churn(server.port, 200);
    expect((await fetch(`http://127.0.0.1:${server.port}/metrics`)).status).toBe(401);
    expect(await droppedLines(server.port, { authorization: 'Bearer scrape-secret' })).toBe(0);
    const { code } = await terminate(server);
    expect(code).toBe(0);
    const messages = server.logs.map((l) => l.msg);
    expect(messages.filter((m) => m === 'session opened')).toHaveLength(200);
    expect(messages.filter((m) => m === 'session closed')).toHaveLength(200);
    expect(messages.slice(-3)).toEqual(['shutdown requested', 'draining', 'stopped']);
  });

  it('the log buffers at most its size for a reader that does not read: the rest is dropped and counted, and closing waits 500 ms at most', async () => {
    // The log of `serve` alone, with a 64 KiB buffer, writing 2 MB to a stdout nobody reads.
    const script = `
      import { stdoutLog } from ${JSON.stringify(`${ROOT}dist/src/cli/stdoutLog.js`)};
      const log = stdoutLog(64 * 1024);
      const line = JSON.stringify({ msg: 'x'.repeat(180) }) + '\\n';
      for (let round = 0; round < 100; round++) {
        for (let i = 0; i < 100; i++) log.stream.write(line);
        await new Promise((resolve) => setImmediate(resolve));
      }
      const start = performance.now();
      await log.close(500);
      process.stderr.write(JSON.stringify({ dropped: log.dropped(), closeMs: performance.now() - start }) + '\\n');
      process.exit(0);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    child.stdout.pause();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stderr) as { dropped: number; closeMs: number };
    // 10,000 lines of 200 bytes: the pipe and the buffer hold a few thousand at most.
    expect(report.dropped).toBeGreaterThan(5000);
    expect(report.closeMs).toBeLessThan(1000);
  });
});
