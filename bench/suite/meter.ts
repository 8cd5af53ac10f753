// One measured phase: the server's CPU and write syscalls from /proc, the load generator's own CPU
// and the wall time, read before and after.
import { delta, sample, selfCpuNs } from '../procStats.js';

export interface Metered {
  readonly serverCpuNs: number;
  readonly serverSyscw: number;
  readonly loadgenCpuNs: number;
  readonly wallNs: number;
}

export async function metered(pid: number, run: () => Promise<unknown>): Promise<Metered> {
  const before = sample(pid);
  const cpu = selfCpuNs();
  const started = process.hrtime.bigint();
  await run();
  const wallNs = Number(process.hrtime.bigint() - started);
  const loadgenCpuNs = selfCpuNs() - cpu;
  const server = delta(before, sample(pid));
  return { serverCpuNs: server.cpuNs, serverSyscw: server.syscw, loadgenCpuNs, wallNs };
}
