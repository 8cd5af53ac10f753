// One measured phase: the server's CPU and write syscalls from /proc, the load generator's own CPU
// and the wall time, read before and after.
import { delta, sample, selfCpuNs } from '../procStats.js';

export interface Metered {
  readonly serverCpuNs: number;
  readonly serverSyscw: number;
  readonly loadgenCpuNs: number;
  readonly wallNs: number;
}

/** A phase that takes longer than this has stalled (a server died, a count will never be reached). */
const STALLED_MS = 300_000;

export async function metered(pid: number, run: () => Promise<unknown>): Promise<Metered> {
  const before = sample(pid);
  const cpu = selfCpuNs();
  const started = process.hrtime.bigint();
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`a measured phase against pid ${pid} did not finish in ${STALLED_MS / 1000} s`)), STALLED_MS);
  });
  try {
    await Promise.race([run(), stalled]);
  } finally {
    clearTimeout(timer);
  }
  const wallNs = Number(process.hrtime.bigint() - started);
  const loadgenCpuNs = selfCpuNs() - cpu;
  const server = delta(before, sample(pid));
  return { serverCpuNs: server.cpuNs, serverSyscw: server.syscw, loadgenCpuNs, wallNs };
}
