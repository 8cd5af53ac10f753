import { accessSync, constants } from 'node:fs';

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
