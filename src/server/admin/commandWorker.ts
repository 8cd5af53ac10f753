import type { Logger } from '../../core/logger.js';
import { commandOf, type CommandRecord, type CommandStore } from './commandStore.js';
import type { Result } from '../../protocol/errors.js';
import type { Command } from '../../protocol/admin/commands.js';

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

/**
 * The one worker: takes the queue's head, runs it, and moves it to done or to the dead-letter
 * store, strictly in order. A thrown failure is retried after `retryBaseMs` × 4ⁿ⁻¹, holding the
 * queue; a failed Result, or the last retry, discards it. [ADM-CMD-3]
 */
export class CommandWorker {
  private running: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly store: CommandStore,
    private readonly run: (command: Command) => Promise<Result<unknown>>,
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
      try {
        await this.process(record);
      } catch (err) {
        // Moving it to done or discarded could not be written: the command stays at the head and
        // runs again after a pause (the commands are idempotent but for a repeated unregister).
        this.log.error({ err, uuid: record.uuid }, 'could not record an admin command outcome, will try again');
        await this.sleep(this.options.retryBaseMs);
      }
    }
  }

  private async process(record: CommandRecord): Promise<void> {
    const started = performance.now();
    const log = this.log.child({ command: record.command, version: record.version, uuid: record.uuid });
    for (let attempt = 0; ; attempt++) {
      let outcome: Result<unknown>;
      try {
        outcome = await this.run(commandOf(record));
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        record.attempts.push({ at: new Date().toISOString(), error });
        if (attempt >= this.options.retries) return this.discard(record, `failed ${attempt + 1} times: ${error}`, log);
        record.status = 'retrying';
        this.events.retried(record);
        log.warn({ attempt: attempt + 1, error }, 'admin command failed, retrying');
        await this.sleep(this.options.retryBaseMs * 4 ** attempt);
        if (this.stopped) return;
        continue;
      }
      if (!outcome.ok) return this.discard(record, outcome.error.message, log);
      log.info({ result: outcome.value }, 'admin command done');
      await this.store.finish(record, outcome.value);
      this.events.processed(record, (performance.now() - started) / 1000);
      return;
    }
  }

  private async discard(record: CommandRecord, reason: string, log: Logger): Promise<void> {
    log.warn({ reason }, 'admin command failed, into the dead-letter store');
    await this.store.discard(record, reason);
    this.events.discarded(record);
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
