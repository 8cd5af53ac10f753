import { accessSync, constants } from 'node:fs';
import type { Child } from '../children.js';
import type { Server } from '../servers/launch.js';

/** Where every peer's binary is looked for (BENCHMARKS.md, "What the suite needs"). */
const DIRS = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'];

/** The first of `paths` that exists and is executable, or null (the peer is then skipped). */
function findBinary(paths: readonly string[]): string | null {
  for (const path of paths) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // next
    }
  }
  return null;
}

/** A peer's binary: the path its BENCH_* variable names (`override`), else `name` in one of DIRS. */
export function peerBinary(name: string, override: string | undefined): string | null {
  return findBinary([...(override ? [override] : []), ...DIRS.map((dir) => `${dir}/${name}`)]);
}

/** A peer's process as a `Server`: no GC to force, stopped like every child. */
export function peerServer(name: string, child: Child, port: number): Server {
  return { name, pid: child.pid, port, gc: () => Promise.resolve(), stop: () => child.stop() };
}
