// `pubkeeper run` (CONTRACT §9) as a child process, against a real server and an agent played by
// the SDK's PcpClient, message by message, so that every answer the CLI can get is tested,
// garbage included.
import { spawn } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { PcpClient } from '../../src/client/pcpClient.js';
import type { PcpV2Message } from '../../src/client/inbound.js';
import { PxpType } from '../../src/protocol/pxp/messages.js';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const AGENT = 'pcp://agent1/agent';
type Data = Record<string, unknown>;

/** An agent that answers each PXP message it gets with `script`; resolves `got` per message type. */
async function scriptedAgent(t: TestServer, script: (message: PcpV2Message, agent: PcpClient) => void): Promise<{ agent: PcpClient; received: PcpV2Message[]; next(type: string): Promise<PcpV2Message> }> {
  const agent = await t.pcp('agent1', ['send:pcp://*/controller'], { type: 'agent' });
  const received: PcpV2Message[] = [];
  const waiters: { type: string; resolve: (m: PcpV2Message) => void }[] = [];
  agent.on('message', (message) => {
    received.push(message);
    for (const w of waiters.splice(0)) {
      if (w.type === message.message_type) w.resolve(message);
      else waiters.push(w);
    }
    script(message, agent);
  });
  return {
    agent,
    received,
    next: (type) =>
      new Promise((resolve) => {
        const seen = received.find((m) => m.message_type === type);
        if (seen) resolve(seen);
        else waiters.push({ type, resolve });
      }),
  };
}

const tx = (message: PcpV2Message): string => (message.data as Data).transaction_id as string;
const reply = (agent: PcpClient, to: PcpV2Message, type: string, data: Data): void => void agent.send(to.sender ?? '', type, data, to.id);

function runArgs(t: TestServer, token: string, ...args: string[]): string[] {
  return ['run', ...args, '--url', t.base, '--token', token];
}

describe('pubkeeper run', () => {
  it('a blocking request: the results as JSON on stdout, exit 0', async () => {
    const t = await startTestServer();
    await scriptedAgent(t, (m, agent) => {
      if (m.message_type !== PxpType.BLOCKING_REQUEST) return;
      const data = m.data as Data;
      reply(agent, m, PxpType.BLOCKING_RESPONSE, { transaction_id: tx(m), results: { module: data.module, action: data.action, said: (data.params as Data).text } });
    });
    const ran = await runCli(runArgs(t, t.keys.mint('ops', ['send:pcp://*/agent']), AGENT, 'echo', 'say', '--params', '{"text":"hi"}'));
    expect(ran).toEqual({ code: 0, stdout: '{"module":"echo","action":"say","said":"hi"}\n', stderr: '' });
  });

  it('a non-blocking request: provisional response and progress as JSON lines on stderr with --json, the outcome on stdout', async () => {
    const t = await startTestServer();
    const { received } = await scriptedAgent(t, (m, agent) => {
      if (m.message_type !== PxpType.NON_BLOCKING_REQUEST) return;
      reply(agent, m, PxpType.PROVISIONAL_RESPONSE, { transaction_id: tx(m) });
      reply(agent, m, PxpType.PROGRESS, { transaction_id: tx(m), progress: 0.5 });
      reply(agent, m, PxpType.NON_BLOCKING_RESPONSE, { transaction_id: tx(m), job_id: '1', results: { done: true } });
    });
    const ran = await runCli(runArgs(t, t.keys.mint('ops', ['send:pcp://*/agent']), AGENT, 'job', 'start', '--non-blocking', '--json'));
    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe('{"done":true}\n');
    const id = tx(received[0]!);
    expect(ran.stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown)).toEqual([
      { event: 'provisional', transaction_id: id },
      { event: 'progress', transaction_id: id, progress: 0.5 },
    ]);
    expect(received[0]?.data).toMatchObject({ module: 'job', action: 'start', notify_outcome: true });
  });

  it('an rpc_error_message: its description on stderr, exit 1', async () => {
    const t = await startTestServer();
    await scriptedAgent(t, (m, agent) => reply(agent, m, PxpType.RPC_ERROR, { transaction_id: tx(m), id: m.id, description: 'Unknown module nope.' }));
    const ran = await runCli(runArgs(t, t.keys.mint('ops', ['send:pcp://*/agent']), AGENT, 'nope', 'x'));
    expect(ran).toEqual({ code: 1, stdout: '', stderr: 'pubkeeper run: Unknown module nope.\n' });
  });

  it('PCP errors: Not connected. for a target nobody is, unauthorized without a send right; a refused token', async () => {
    const t = await startTestServer();
    const absent = await runCli(runArgs(t, t.keys.mint('ops', ['send:pcp://*/agent']), 'pcp://ghost/agent', 'm', 'a'));
    expect(absent).toEqual({ code: 1, stdout: '', stderr: 'pubkeeper run: Not connected.\n' });
    await scriptedAgent(t, () => undefined);
    const denied = await runCli(runArgs(t, t.keys.mint('ops', ['subscribe:x']), AGENT, 'm', 'a'));
    expect(denied).toEqual({ code: 1, stdout: '', stderr: `pubkeeper run: unauthorized: this token may not send to ${AGENT}\n` });
    const refused = await runCli(runArgs(t, 'not-a-token', AGENT, 'm', 'a'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^pubkeeper run: refused: 401 .+\n$/);
  });

  it('no answer in time: "timed out", exit 1; garbage and other transactions meanwhile are ignored', async () => {
    const t = await startTestServer();
    await scriptedAgent(t, (m, agent) => {
      agent.send(m.sender ?? '', PxpType.BLOCKING_RESPONSE, { transaction_id: 'someone-else', results: { wrong: true } });
      agent.send(m.sender ?? '', PxpType.BLOCKING_RESPONSE, { transaction_id: tx(m), results: 'not an object' });
      agent.send(m.sender ?? '', PxpType.RPC_ERROR, { transaction_id: tx(m) });
      agent.send(m.sender ?? '', 'example/other', { anything: 1 });
    });
    const ran = await runCli(runArgs(t, t.keys.mint('ops', ['send:pcp://*/agent']), AGENT, 'm', 'a', '--timeout-ms', '500'));
    expect(ran).toEqual({ code: 1, stdout: '', stderr: 'pubkeeper run: timed out\n' });
  });

  it('a data request answered from --data NAME=JSON; one it cannot answer cancels and says which flag to give', async () => {
    const t = await startTestServer();
    const { next } = await scriptedAgent(t, (m, agent) => {
      if (m.message_type === PxpType.BLOCKING_REQUEST) reply(agent, m, PxpType.DATA_REQUEST, { transaction_id: tx(m), name: 'pin', data: { prompt: 'PIN?' } });
      if (m.message_type === PxpType.DATA_RESPONSE) reply(agent, m, PxpType.BLOCKING_RESPONSE, { transaction_id: tx(m), results: { pin: (m.data as Data).data } });
    });
    const token = t.keys.mint('ops', ['send:pcp://*/agent']);
    const answered = await runCli(runArgs(t, token, AGENT, 'lock', 'open', '--data', 'pin=1234', '--data', 'other="x"'));
    expect(answered).toEqual({ code: 0, stdout: '{"pin":1234}\n', stderr: '' });
    const unanswered = await runCli(runArgs(t, token, AGENT, 'lock', 'open'));
    expect(unanswered).toEqual({ code: 1, stdout: '', stderr: 'pubkeeper run: the agent asked for data "pin": give it with --data pin=JSON\n' });
    expect((await next(PxpType.CANCEL)).data).toEqual({ transaction_id: expect.any(String) });
  });

  it('SIGINT cancels the action at the agent (pubkeeper/rpc_cancel) and exits 1', async () => {
    const t = await startTestServer();
    const { next } = await scriptedAgent(t, () => undefined);
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PUBKEEPER_')));
    const child = spawn(process.execPath, [BIN, ...runArgs(t, t.keys.mint('ops', ['send:pcp://*/agent']), AGENT, 'slow', 'wait')], { cwd: ROOT, env: clean });
    onTestFinished(() => void child.kill('SIGKILL'));
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const request = await next(PxpType.BLOCKING_REQUEST);
    child.kill('SIGINT');
    expect((await next(PxpType.CANCEL)).data).toEqual({ transaction_id: tx(request) });
    expect(await exited).toBe(1);
    expect(stderr).toBe('pubkeeper run: cancelled\n');
  });

  it('usage errors exit 2 with one line: a bad target, --params that is no JSON object, a bad --timeout-ms, --data without =', async () => {
    const cases: [string[], RegExp][] = [
      [['run', 'agent1', 'm', 'a', '--token', 'x'], /TARGET agent1 is not a client URI/],
      [['run', AGENT, 'm', 'a', '--token', 'x', '--params', '[1]'], /--params must be a JSON object/],
      [['run', AGENT, 'm', 'a', '--token', 'x', '--params', '{'], /--params is not valid JSON/],
      [['run', AGENT, 'm', 'a', '--token', 'x', '--timeout-ms', '0'], /--timeout-ms must be a positive whole number/],
      [['run', AGENT, 'm', 'a', '--token', 'x', '--data', 'pin'], /--data pin is not NAME=JSON/],
      [['run', AGENT, 'm', 'a'], /missing --token/],
      [['run', AGENT, 'm'], /missing required argument 'action'/],
    ];
    for (const [args, message] of cases) {
      const ran = await runCli(args);
      expect(ran.code, args.join(' ')).toBe(2);
      expect(ran.stderr, args.join(' ')).toMatch(message);
      expect(ran.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });
});
