// What a server process costs, read from /proc before and after a measured phase: CPU time (all
// threads: Node's helpers, nats-server's goroutines), write syscalls and resident memory.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second for /proc/<pid>/stat (`getconf CLK_TCK`, 100 almost everywhere). */
export const CLK_TCK = ((): number => {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time of every thread of `pid`, in ns: the sum of the first field of
 * /proc/<pid>/task/<tid>/schedstat (ns, exact), or utime+stime of /proc/<pid>/stat (fields 14
 * and 15, in clock ticks: 10 ms steps) where schedstat is absent. A thread that exited between
 * two readings takes its schedstat time with it; `stat` keeps it, so both are read and the larger
 * delta is what `cpuDeltaNs` reports.
 */
export function cpuNsBySchedstat(pid: number): number | null {
  let total = 0;
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  for (const tid of tasks) {
    try {
      const first = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ', 1)[0];
      total += Number(first);
    } catch {
      // the thread ended while we listed them
    }
  }
  return total;
}

export function cpuNsByStat(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1e9) / CLK_TCK;
}

export function syscw(pid: number): number {
  const match = /^syscw:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  if (!match?.[1]) throw new Error(`/proc/${pid}/io has no syscw line.`);
  return Number(match[1]);
}

/** Resident memory in bytes, from VmRSS in /proc/<pid>/status. */
export function rssBytes(pid: number): number {
  const match = /^VmRSS:\s*(\d+)\s*kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match?.[1]) throw new Error(`/proc/${pid}/status has no VmRSS line.`);
  return Number(match[1]) * 1024;
}

export interface ProcSample {
  readonly schedNs: number | null;
  readonly statNs: number;
  readonly syscw: number;
}

export function sample(pid: number): ProcSample {
  return { schedNs: cpuNsBySchedstat(pid), statNs: cpuNsByStat(pid), syscw: syscw(pid) };
}

export interface ProcDelta {
  /** CPU time of the server between the two samples, ns. */
  readonly cpuNs: number;
  readonly syscw: number;
}

export function delta(before: ProcSample, after: ProcSample): ProcDelta {
  const stat = after.statNs - before.statNs;
  const sched = before.schedNs === null || after.schedNs === null ? null : after.schedNs - before.schedNs;
  // schedstat is exact but forgets exited threads; stat remembers them in 10 ms steps. Take
  // schedstat unless stat says, beyond its resolution, that more was spent.
  const tick = 1e9 / CLK_TCK;
  const cpuNs = sched === null || stat - sched > 2 * tick ? stat : sched;
  return { cpuNs, syscw: after.syscw - before.syscw };
}

/** The bench process's own CPU (user + system), ns: how busy the load generator was. */
export function selfCpuNs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) * 1000;
}
