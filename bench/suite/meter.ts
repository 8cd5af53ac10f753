// One measured phase: the servers' CPU and write syscalls from /proc, the load generator's own CPU
// and the wall time, read before and after.
import { delta, sample, selfCpuNs } from '../procStats.js';

export interface Metered {
  /** Summed over every process measured. */
  readonly serverCpuNs: number;
  /** Each process's share of `serverCpuNs`, in the order of the pids given. */
  readonly serverCpuNsEach: readonly number[];
  readonly serverSyscw: number;
  readonly loadgenCpuNs: number;
  readonly wallNs: number;
}

/** A phase that takes longer than this has stalled (a server died, a count will never be reached). */
const STALLED_MS = 300_000;

/**
 * Runs `run` and reads what it cost. `pids` is the server, or every process that serves as one (a
 * cluster's nodes and its Redis): their figures are added up.
 */
export async function metered(pids: number | readonly number[], run: () => Promise<unknown>): Promise<Metered> {
  const list = typeof pids === 'number' ? [pids] : pids;
  const before = list.map((pid) => ({ pid, at: sample(pid) }));
  const cpu = selfCpuNs();
  const started = process.hrtime.bigint();
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`a measured phase against pid ${list.join(', ')} did not finish in ${STALLED_MS / 1000} s`)), STALLED_MS);
  });
  try {
    await Promise.race([run(), stalled]);
  } finally {
    clearTimeout(timer);
  }
  const wallNs = Number(process.hrtime.bigint() - started);
  const loadgenCpuNs = selfCpuNs() - cpu;
  const servers = before.map(({ pid, at }) => delta(at, sample(pid)));
  const serverCpuNsEach = servers.map((d) => d.cpuNs);
  const serverCpuNs = serverCpuNsEach.reduce((sum, ns) => sum + ns, 0);
  const serverSyscw = servers.reduce((sum, d) => sum + d.syscw, 0);
  return { serverCpuNs, serverCpuNsEach, serverSyscw, loadgenCpuNs, wallNs };
}
