// A tiny benchmark harness. Machines are noisy, so figures are reported as ratios to a baseline
// measured in the same run, never as absolute numbers to compare across runs.

export type MeasureOptions = { iterations: number } | { minMs: number };

export interface Measurement {
  readonly name: string;
  readonly opsPerSec: number;
  readonly iterations: number;
  readonly elapsedMs: number;
}

/** Results land in a module variable, a write V8 cannot prove dead, so no call is dropped. */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- written, never read, on purpose
let sink: unknown;

/**
 * Runs `fn` for a fixed number of iterations or for at least `minMs`, after a warm-up so the
 * JIT has compiled it, and returns calls per second.
 */
export function measure(name: string, fn: () => unknown, options: MeasureOptions): Measurement {
  const warmupUntil = performance.now() + 50;
  for (let i = 0; i < 10 || performance.now() < warmupUntil; i++) sink = fn();

  let iterations = 0;
  const started = performance.now();
  let elapsedMs = 0;
  if ('iterations' in options) {
    for (; iterations < options.iterations; iterations++) sink = fn();
    elapsedMs = performance.now() - started;
  } else {
    // Read the clock once per batch, not per call: a clock read can cost as much as a fast `fn`.
    let batch = 1;
    while (elapsedMs < options.minMs) {
      for (let i = 0; i < batch; i++) sink = fn();
      iterations += batch;
      elapsedMs = performance.now() - started;
      if (elapsedMs < options.minMs / 10) batch *= 2;
    }
  }
  return { name, opsPerSec: (iterations * 1000) / elapsedMs, iterations, elapsedMs };
}

/** Prints each result with its ops/s and its ratio to `baselineName`, found among `results`. */
export function reportRatio(baselineName: string, results: readonly Measurement[]): void {
  const baseline = results.find((r) => r.name === baselineName);
  if (baseline === undefined) throw new Error(`No result named ${baselineName} to use as the baseline.`);
  const width = Math.max(...results.map((r) => r.name.length));
  for (const r of results) {
    const ratio = r.opsPerSec / baseline.opsPerSec;
    const ops = Math.round(r.opsPerSec).toLocaleString('en-US');
    const note = r === baseline ? '(baseline)' : '';
    console.log(`  ${r.name.padEnd(width)}  ${ops.padStart(14)} ops/s  ${ratio.toFixed(2).padStart(8)}x ${note}`);
  }
}

/** A seeded PRNG (mulberry32), so every run benchmarks the same inputs: the SDK's own. */
export { seededRandom as prng } from '../src/client/backoff.js';

/**
 * µs per call of `fn`, timed for at least `minMs` with no warm-up of its own: for alternated
 * rounds of a few ms each, after the caller has warmed every contender up once.
 */
export function usPerCall(fn: () => unknown, minMs: number): number {
  let calls = 0;
  let batch = 1;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < batch; i++) sink = fn();
    calls += batch;
    elapsed = performance.now() - started;
    if (elapsed < minMs / 10) batch *= 2;
  }
  return (elapsed * 1000) / calls;
}
