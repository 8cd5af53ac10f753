import { randomUUID } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { validateCommand, type Command } from '../../protocol/admin/commands.js';
import { isTemporary, prepareDir, removeDurably, writeDurably } from '../edge/durableFiles.js';

export type CommandStatus = 'queued' | 'retrying' | 'done' | 'failed';

export interface Attempt {
  readonly at: string;
  readonly error: string;
}

/** A command and what became of it, as GET /commands/<uuid> answers (ADM-CMD-4). */
export interface CommandRecord {
  readonly uuid: string;
  readonly command: Command['command'];
  readonly version: number;
  readonly payload: Command['payload'];
  readonly received: string;
  status: CommandStatus;
  attempts: Attempt[];
  result?: unknown;
  error?: string;
  finished?: string;
  /** Set when a dead letter was put back in the queue. */
  requeued?: string;
}

/** The command of a record, as the handlers take it. */
export const commandOf = (record: CommandRecord): Command => ({ command: record.command, version: record.version, payload: record.payload }) as Command;

const json = (name: string): boolean => name.endsWith('.json') && !isTemporary(name);

/**
 * The command queue, the finished commands and the dead-letter store under `<data-dir>/commands`
 * (ADM-CMD-2, ADM-CMD-5, ADM-DATA-1). Every change is a durable file write: a queued command is in
 * `queue/<seq>-<uuid>.json` before it is acknowledged; a finished one moves to `done/<uuid>.json`,
 * a failed one to `discarded/<uuid>.json`. Only one worker takes from the queue, in order.
 */
export class CommandStore {
  private readonly queueDir: string;
  private readonly doneDir: string;
  private readonly discardedDir: string;
  private readonly queue: { record: CommandRecord; file: string }[] = [];
  /** Finished commands, oldest first, at most `history` of them. */
  private readonly finished: CommandRecord[] = [];
  private readonly byUuid = new Map<string, CommandRecord>();
  private readonly discarded = new Map<string, CommandRecord>();
  private nextSeq = 1;
  /** Appends one at a time, so the queue's order in memory is the order of its files. */
  private appending: Promise<unknown> = Promise.resolve();
  /** Told of every change to a record once it is durable (cluster mode publishes it to the other nodes). */
  onChange: ((record: CommandRecord, deleted?: boolean) => void) | undefined;

  constructor(
    dir: string,
    private readonly history: number,
  ) {
    this.queueDir = join(dir, 'queue');
    this.doneDir = join(dir, 'done');
    this.discardedDir = join(dir, 'discarded');
  }

  get depth(): number {
    return this.queue.length;
  }

  /** Creates the directories and reads back what a previous run left. */
  async open(): Promise<void> {
    for (const dir of [this.queueDir, this.doneDir, this.discardedDir]) await prepareDir(dir);
    for (const record of await this.readAll(this.doneDir)) this.remember(record);
    this.finished.sort((a, b) => (a.finished ?? '').localeCompare(b.finished ?? ''));
    for (const record of await this.readAll(this.discardedDir)) this.discarded.set(record.uuid, record);
    const names = (await readdir(this.queueDir)).filter(json).sort();
    for (const name of names) {
      const seq = Number.parseInt(name, 10);
      if (Number.isSafeInteger(seq)) this.nextSeq = Math.max(this.nextSeq, seq + 1);
      const record = await this.readRecord(join(this.queueDir, name));
      // Not a command we can read: left where it is for a person to look at.
      if (!record) continue;
      // Finished, but the crash came before its queue file went: it is not run again.
      if (this.byUuid.has(record.uuid)) {
        await removeDurably(join(this.queueDir, name));
        continue;
      }
      const dead = this.discarded.get(record.uuid);
      if (dead) {
        // Both a dead letter and a queue file: either a requeue that crashed before the dead
        // letter went (queued after it failed), or a discard that crashed before the queue file
        // went (failed after it was queued). The times tell which.
        const requeuedAfter = record.requeued !== undefined && record.requeued > (dead.finished ?? '');
        if (!requeuedAfter) {
          await removeDurably(join(this.queueDir, name));
          continue;
        }
        this.discarded.delete(record.uuid);
        await removeDurably(join(this.discardedDir, `${record.uuid}.json`));
      }
      record.status = 'queued';
      record.attempts = [];
      this.queue.push({ record, file: name });
      this.byUuid.set(record.uuid, record);
    }
  }

  /** Durably queues a command; resolves once it would survive a crash. [ADM-CMD-2] */
  async enqueue(command: Command, uuid: string = randomUUID()): Promise<CommandRecord> {
    const record: CommandRecord = { uuid, ...command, received: new Date().toISOString(), status: 'queued', attempts: [] };
    await this.append(record);
    return record;
  }

  /** The command to process next, or undefined when the queue is empty. */
  head(): CommandRecord | undefined {
    return this.queue[0]?.record;
  }

  /**
   * The head command succeeded. Its outcome is written first; then, in one step, everything a
   * reader sees changes; then the queue file goes.
   */
  async finish(record: CommandRecord, result: unknown): Promise<void> {
    const done: CommandRecord = { ...record, status: 'done', result, finished: new Date().toISOString() };
    await writeDurably(join(this.doneDir, `${record.uuid}.json`), JSON.stringify(done));
    Object.assign(record, done);
    this.onChange?.(record);
    const file = this.takeFromQueue(record);
    this.remember(record);
    const forgotten = this.finished.splice(0, Math.max(0, this.finished.length - this.history));
    for (const old of forgotten) this.byUuid.delete(old.uuid);
    if (file) await removeDurably(join(this.queueDir, file));
    for (const old of forgotten) await rm(join(this.doneDir, `${old.uuid}.json`), { force: true });
  }

  /** The head command goes to the dead-letter store with the reason, as `finish`. [ADM-CMD-5] */
  async discard(record: CommandRecord, reason: string): Promise<void> {
    const failed: CommandRecord = { ...record, status: 'failed', error: reason, finished: new Date().toISOString() };
    await writeDurably(join(this.discardedDir, `${record.uuid}.json`), JSON.stringify(failed));
    Object.assign(record, failed);
    this.onChange?.(record);
    const file = this.takeFromQueue(record);
    this.byUuid.delete(record.uuid);
    this.discarded.set(record.uuid, record);
    if (file) await removeDurably(join(this.queueDir, file));
  }

  get(uuid: string): CommandRecord | undefined {
    return this.byUuid.get(uuid) ?? this.discarded.get(uuid);
  }

  /** The most recent commands, queued, done and failed (the dead letters), newest first. */
  recent(limit: number): CommandRecord[] {
    const queued = this.queue.map((q) => q.record).reverse();
    const ended = [...this.finished, ...this.discarded.values()].sort((a, b) => (b.finished ?? '').localeCompare(a.finished ?? ''));
    return [...queued, ...ended].slice(0, limit);
  }

  /** The oldest `limit` dead letters, oldest first. */
  deadLetters(limit: number): CommandRecord[] {
    return [...this.discarded.values()].sort((a, b) => (a.finished ?? '').localeCompare(b.finished ?? '')).slice(0, limit);
  }

  /** A dead letter back at the end of the queue: same uuid, attempts cleared. */
  async requeue(uuid: string): Promise<CommandRecord | undefined> {
    const dead = this.discarded.get(uuid);
    if (!dead) return undefined;
    const command = validateCommand({ command: dead.command, version: dead.version, payload: dead.payload });
    if (!command.ok) throw command.error;
    const record: CommandRecord = { uuid, ...command.value, received: dead.received, status: 'queued', attempts: [], requeued: new Date().toISOString() };
    // Queued again before the dead letter goes: a crash in between leaves both, and the next
    // start runs it (a queued command whose uuid is also a dead letter is the requeued one).
    this.discarded.delete(uuid);
    try {
      await this.append(record);
    } catch (err) {
      this.discarded.set(uuid, dead);
      throw err;
    }
    await removeDurably(join(this.discardedDir, `${uuid}.json`));
    return record;
  }

  async deleteDeadLetter(uuid: string): Promise<boolean> {
    const dead = this.discarded.get(uuid);
    if (!dead) return false;
    this.discarded.delete(uuid);
    await removeDurably(join(this.discardedDir, `${uuid}.json`));
    this.onChange?.(dead, true);
    return true;
  }

  /** A record changed in memory only (a retry): told like the others. */
  changed(record: CommandRecord): void {
    this.onChange?.(record);
  }

  /** Every record this node holds (queued and dead), for publishing them on start. */
  held(): CommandRecord[] {
    return [...this.queue.map((q) => q.record), ...this.discarded.values()];
  }

  private append(record: CommandRecord): Promise<void> {
    const appended = this.appending.then(async () => {
      const file = `${String(this.nextSeq++).padStart(12, '0')}-${record.uuid}.json`;
      const path = join(this.queueDir, file);
      try {
        await writeDurably(path, JSON.stringify(record));
      } catch (err) {
        // Refused means not queued: a file renamed in before the failure must not run later.
        await rm(path, { force: true }).catch(() => undefined);
        throw err;
      }
      this.queue.push({ record, file });
      this.byUuid.set(record.uuid, record);
      this.onChange?.(record);
    });
    this.appending = appended.catch(() => undefined);
    return appended;
  }

  /** Removes the record from the queue in memory; its file name, for the caller to delete. */
  private takeFromQueue(record: CommandRecord): string | undefined {
    const index = this.queue.findIndex((q) => q.record === record);
    return index < 0 ? undefined : this.queue.splice(index, 1)[0]?.file;
  }

  private remember(record: CommandRecord): void {
    this.finished.push(record);
    this.byUuid.set(record.uuid, record);
  }

  private async readAll(dir: string): Promise<CommandRecord[]> {
    const records: CommandRecord[] = [];
    for (const name of (await readdir(dir)).filter(json)) {
      const record = await this.readRecord(join(dir, name));
      if (record) records.push(record);
    }
    return records;
  }

  /** A record file, or undefined for one that is not a command we can read (it is left alone). */
  private async readRecord(path: string): Promise<CommandRecord | undefined> {
    let value: unknown;
    try {
      value = JSON.parse(await readFile(path, 'utf8'));
    } catch {
      return undefined;
    }
    const record = value as Partial<CommandRecord> | null;
    if (typeof record?.uuid !== 'string' || typeof record.received !== 'string') return undefined;
    const command = validateCommand({ command: record.command, version: record.version, payload: record.payload });
    if (!command.ok) return undefined;
    return { ...(record as CommandRecord), ...command.value, attempts: Array.isArray(record.attempts) ? record.attempts : [] };
  }
}
