// The benchmark suite (`npm run bench`, `npm run bench -- --quick`, `--only fanout,auth`): each
// benchmark beside its baselines in the same run, then one table of every goal. Never part of
// `npm test` (test/integration/benchSmoke.test.ts runs a tiny fan-out only). See BENCHMARKS.md.
import { cpus, totalmem } from 'node:os';
import { parseArgs } from './args.js';
import { printSummary, type GoalRow } from './summary.js';
import type { SuiteBench } from './suite/context.js';
import { authBench } from './suite/auth.js';
import { clusterBench } from './suite/cluster.js';
import { fanoutBench } from './suite/fanout.js';
import { latencyBench } from './suite/latency.js';
import { matchingBench } from './suite/matching.js';
import { microBench } from './suite/micro.js';
import { routingBench } from './suite/pcpRouting.js';
import { memoryBench } from './suite/sessionMemory.js';

const BENCHES: readonly SuiteBench[] = [fanoutBench, latencyBench, memoryBench, matchingBench, authBench, routingBench, clusterBench, microBench];

function usage(): string {
  return [
    'usage: node dist/bench/run.js [--quick] [--only NAME[,NAME…]]',
    '',
    ...BENCHES.map((b) => `  ${b.name.padEnd(10)} ${b.title}`),
  ].join('\n');
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2), BENCHES.map((b) => b.name));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage()}`);
    return 2;
  }
  if (args.help) {
    console.log(usage());
    return 0;
  }
  const cpu = cpus();
  console.log(
    `pubkeeper bench${args.quick ? ' --quick' : ''}: node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ` +
      `${Math.round(totalmem() / 2 ** 30)} GiB`,
  );
  const started = Date.now();
  const rows: GoalRow[] = [];
  for (const bench of BENCHES) {
    if (args.only.length > 0 && !args.only.includes(bench.name)) continue;
    console.log(`\n== ${bench.name}: ${bench.title}`);
    const benchStarted = Date.now();
    rows.push(...(await bench.run({ quick: args.quick })));
    console.log(`  (${((Date.now() - benchStarted) / 1000).toFixed(1)} s)`);
  }
  printSummary(rows);
  console.log(`\ntotal ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

// Exit explicitly: a socket some benchmark forgot must not keep the suite alive (children.ts
// kills every server on exit).
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
