import { accessSync, constants } from 'node:fs';
import type { Child } from '../children.js';
import type { Server } from '../servers/launch.js';

/** The first of `paths` that exists and is executable, or null (the peer is then skipped). */
export function findBinary(paths: readonly string[]): string | null {
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

/** A peer's process as a `Server`: no GC to force, stopped like every child. */
export function peerServer(name: string, child: Child, port: number): Server {
  return { name, pid: child.pid, port, gc: () => Promise.resolve(), stop: () => child.stop() };
}
