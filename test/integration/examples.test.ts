// The examples run as their usage comments say (issue 13): each comment's indented command line is
// run with bash, word for word, against a real `pubkeeper serve` on a free port, from a directory
// standing in for the checkout (its ./keys are the server's dev keys, so the `npx pubkeeper token`
// in the line mints a token that server accepts). The one thing the line leaves to the reader, the
// server's address, is given as the comment says it may be: PUBKEEPER_URL.
import { readFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ROOT, startCli } from '../helpers/cli.js';
import { docDir, runShell, type Shell } from '../helpers/docs.js';

/** The command of a usage comment: its lines indented by three spaces after `//`, continuations joined. */
export function usageOf(file: string): string {
  const lines = readFileSync(`${ROOT}examples/${file}`, 'utf8').split('\n');
  const command = lines.flatMap((l) => /^\/\/ {3}(\S.*)$/.exec(l)?.[1] ?? []);
  return command.join('\n');
}

describe('the examples, run as their usage comments say', () => {
  it('usage lines name the compiled example and take the topic or pattern as their one argument', () => {
    expect(usageOf('brewer.ts')).toMatch(/^PUBKEEPER_TOKEN=\$\(npx pubkeeper token .*\) node dist\/examples\/brewer\.js sensors\.hall$/);
    expect(usageOf('subscriber.ts')).toMatch(/^PUBKEEPER_TOKEN=\$\(npx pubkeeper token .*\) node dist\/examples\/subscriber\.js 'sensors\.\*\*'$/);
  });

  it('the subscriber sees the brewer register and, after SIGTERM to the brewer, go', async () => {
    const { dir, env } = docDir();
    const server = await startCli(['--host', '127.0.0.1', '--port', '0'], {}, dir);
    const runEnv = { ...env, PUBKEEPER_URL: `ws://127.0.0.1:${server.port}/ws` };
    const started: Shell[] = [];
    onTestFinished(() => {
      for (const shell of started) shell.kill('SIGKILL');
    });
    const subscriber = runShell(usageOf('subscriber.ts'), dir, runEnv);
    started.push(subscriber);
    await subscriber.line((l) => l === 'subscribed to sensors.**', 20_000);
    const brewer = runShell(usageOf('brewer.ts'), dir, runEnv);
    started.push(brewer);
    const registered = JSON.parse(await brewer.line((l) => l.includes('"registered"'), 20_000)) as { topic: string; brewer: { uuid: string } };
    expect(registered.topic).toBe('sensors.hall');
    const added = JSON.parse(await subscriber.line((l) => l.includes('"added"'))) as unknown;
    expect(added).toEqual({ event: 'added', topic: 'sensors.hall', brewer: registered.brewer });
    brewer.kill('SIGTERM');
    const removed = JSON.parse(await subscriber.line((l) => l.includes('"removed"'))) as unknown;
    expect(removed).toEqual({ event: 'removed', topic: 'sensors.hall', brewer: registered.brewer });
    expect((await brewer.exit).code).toBe(0);
    subscriber.kill('SIGTERM');
    expect((await subscriber.exit).code).toBe(0);
    expect(subscriber.stdout.map((l) => (JSON.parse(l) as { event: string }).event)).toEqual(['added', 'removed']);
  }, 60_000);
});

describe('the PXP examples (issue 14), run as their usage comments say', () => {
  it('usage lines name the compiled examples; the controller takes target, module, action and params', () => {
    expect(usageOf('agent.ts')).toMatch(/^PUBKEEPER_TOKEN=\$\(npx pubkeeper token --sub node-1 .*\) node dist\/examples\/agent\.js$/);
    expect(usageOf('controller.ts')).toMatch(/^PUBKEEPER_TOKEN=\$\(npx pubkeeper token --sub ops .*\) node dist\/examples\/controller\.js pcp:\/\/node-1\/agent demo count '\{"to":3\}'$/);
  });

  it('the controller commands the agent: results on stdout, progress on stderr, a data request answered, an RPC error exits 1', async () => {
    const { dir, env } = docDir();
    const server = await startCli(['--host', '127.0.0.1', '--port', '0'], {}, dir);
    const runEnv = { ...env, PUBKEEPER_URL: `ws://127.0.0.1:${server.port}` };
    const started: Shell[] = [];
    onTestFinished(() => {
      for (const shell of started) shell.kill('SIGKILL');
    });
    const run = (command: string): Shell => {
      const shell = runShell(command, dir, runEnv);
      started.push(shell);
      return shell;
    };
    const agent = run(usageOf('agent.ts'));
    expect(JSON.parse(await agent.line((l) => l.includes('"ready"'), 20_000))).toEqual({ event: 'ready', uri: 'pcp://node-1/agent' });

    const controller = run(usageOf('controller.ts'));
    expect((await controller.exit).code).toBe(0);
    expect(controller.stdout).toEqual(['{"counted":3}']);
    expect(controller.stderr).toEqual([1, 2, 3].map((n) => JSON.stringify({ progress: { n, of: 3 } })));

    const ask = run(`${usageOf('controller.ts').replace(/ pcp:\/\/node-1\/agent demo count .*$/, '')} --answer yes --non-blocking pcp://node-1/agent demo ask '{"question":"Go?"}'`);
    expect((await ask.exit).code).toBe(0);
    expect(ask.stdout).toEqual(['{"jobId":"1","results":{"answer":"yes"}}']);
    expect(ask.stderr).toEqual(['{"dataRequest":"answer","data":{"question":"Go?"}}']);

    const unknown = run(usageOf('controller.ts').replace(/ demo count .*$/, ' demo nope'));
    expect((await unknown.exit).code).toBe(1);
    expect(unknown.stderr).toEqual(['Unknown action: demo nope']);

    agent.kill('SIGTERM');
    expect((await agent.exit).code).toBe(0);
  }, 60_000);
});
