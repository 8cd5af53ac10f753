import type { Logger } from '../../core/logger.js';
import type { Command } from '../../protocol/admin/commands.js';
import type { Result } from '../../protocol/errors.js';
import { commandOf, type CommandRecord, type CommandStore } from './commandStore.js';

export interface WorkerOptions {
  readonly retries: number;
  readonly retryBaseMs: number;
}

/** What the worker reports, for metrics. */
export interface WorkerEvents {
  processed(record: CommandRecord, seconds: number): void;
  retried(record: CommandRecord): void;
  discarded(record: CommandRecord): void;
}

type Outcome = { done: true; result: unknown } | { done: false; reason: string };

/** A storage failure (ENOSPC, EIO, ENOTDIR…) may go away: worth a retry. Anything else will not. */
const isStorageError = (err: unknown): boolean => typeof (err as NodeJS.ErrnoException | null)?.code === 'string';

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * The one worker: takes the queue's head, runs it, and records the outcome (done, or the
 * dead-letter store), strictly in order. A storage failure is retried after `retryBaseMs` × 4ⁿ⁻¹,
 * holding the queue; a failed Result, any other throw, or the last retry discards it. Once a
 * command has run, only the writing of its outcome is retried: it is never run twice. [ADM-CMD-3]
 */
export class CommandWorker {
  private running: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly store: CommandStore,
    private readonly run: (command: Command, uuid: string) => Promise<Result<unknown>>,
    private readonly options: WorkerOptions,
    private readonly log: Logger,
    private readonly events: WorkerEvents,
  ) {}

  /** There may be work: start the loop unless it runs already. */
  kick(): void {
    if (this.stopped) return;
    this.running ??= this.loop().finally(() => {
      this.running = undefined;
      if (this.store.head() && !this.stopped) this.kick();
    });
  }

  /** Finishes the command under way (a pending retry is cut short and kept queued), then stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    for (let record = this.store.head(); record && !this.stopped; record = this.store.head()) {
      const started = performance.now();
      const log = this.log.child({ command: record.command, version: record.version, uuid: record.uuid });
      const outcome = await this.attempt(record, log);
      if (outcome === undefined) return; // stopped while waiting to retry: it stays queued
      const recorded = await this.record(record, outcome, log);
      if (!recorded) return;
      if (outcome.done) this.events.processed(record, (performance.now() - started) / 1000);
      else this.events.discarded(record);
    }
  }

  /** Runs the command, retrying storage failures; undefined when stopped meanwhile. */
  private async attempt(record: CommandRecord, log: Logger): Promise<Outcome | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        const outcome = await this.run(commandOf(record), record.uuid);
        if (!outcome.ok) return { done: false, reason: outcome.error.message };
        log.info({ result: outcome.value }, 'admin command done');
        return { done: true, result: outcome.value };
      } catch (err) {
        const error = messageOf(err);
        record.attempts.push({ at: new Date().toISOString(), error });
        if (!isStorageError(err)) {
          log.error({ err }, 'admin command failed unexpectedly');
          return { done: false, reason: `internal error: ${error}` };
        }
        if (attempt >= this.options.retries) return { done: false, reason: `failed after ${attempt + 1} attempts: ${error}` };
        record.status = 'retrying';
        this.store.changed(record);
        this.events.retried(record);
        log.warn({ attempt: attempt + 1, error }, 'admin command failed, retrying');
        await this.sleep(this.options.retryBaseMs * 4 ** attempt);
        if (this.stopped) return undefined;
      }
    }
  }

  /**
   * Writes the outcome, trying again until it is written: the command is not run again meanwhile.
   * False when stopped first (a restart then finds the state saying whether it was applied).
   */
  private async record(record: CommandRecord, outcome: Outcome, log: Logger): Promise<boolean> {
    if (!outcome.done) log.warn({ reason: outcome.reason }, 'admin command failed, into the dead-letter store');
    for (;;) {
      try {
        if (outcome.done) await this.store.finish(record, outcome.result);
        else await this.store.discard(record, outcome.reason);
        return true;
      } catch (err) {
        log.error({ err }, 'could not record an admin command outcome, will try again');
        await this.sleep(this.options.retryBaseMs);
        if (this.stopped) return false;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
