import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

let counter = 0;

/** fsync a directory, so a rename or a removal in it survives a crash. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `path` so that after a crash it holds either its old contents or all of the new: a
 * temporary file beside it, fsynced, renamed over it, and the directory fsynced. A failure (a full
 * disk) leaves the old file and no temporary one, and is thrown.
 */
export async function writeDurably(path: string, data: string): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.tmp-${process.pid}-${++counter}-${basename(path)}`);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(data, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await syncDir(dir);
}

/** Removes `path` (if it is there) and makes the removal durable. */
export async function removeDurably(path: string): Promise<void> {
  await rm(path, { force: true });
  await syncDir(dirname(path));
}

/** True for the temporary files `writeDurably` leaves behind only when it crashed. */
export const isTemporary = (name: string): boolean => name.startsWith('.tmp-');

/**
 * Makes `dir` (and its parents) exist durably, and deletes the temporary files an earlier crash
 * left in it: they never held anything acknowledged.
 */
export async function prepareDir(dir: string): Promise<void> {
  const created = await mkdir(dir, { recursive: true });
  if (created !== undefined) await syncDir(dirname(dir));
  for (const name of await readdir(dir)) if (isTemporary(name)) await rm(join(dir, name), { force: true });
}
