import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CommandRecord } from './commandStore.js';
import type { WorkerEvents } from './commandWorker.js';

/**
 * The command API's metrics, as PuppetDB's `mq` ones (REFERENCE §4): per command and version,
 * seen (queued), processed, retried and discarded, the queue depth, and the processing time.
 */
export class CommandMetrics implements WorkerEvents {
  private readonly seenTotal: Counter;
  private readonly processedTotal: Counter;
  private readonly retriedTotal: Counter;
  private readonly discardedTotal: Counter;
  private readonly processing: Histogram;

  constructor(registry: Registry, depth: () => number) {
    const registers = [registry];
    const labelNames = ['command', 'version'];
    this.seenTotal = new Counter({ name: 'pubkeeper_commands_seen_total', help: 'Admin commands queued.', labelNames, registers });
    this.processedTotal = new Counter({ name: 'pubkeeper_commands_processed_total', help: 'Admin commands done.', labelNames, registers });
    this.retriedTotal = new Counter({ name: 'pubkeeper_commands_retried_total', help: 'Admin command attempts that failed and were retried.', labelNames, registers });
    this.discardedTotal = new Counter({ name: 'pubkeeper_commands_discarded_total', help: 'Admin commands moved to the dead-letter store.', labelNames, registers });
    this.processing = new Histogram({
      name: 'pubkeeper_command_processing_seconds',
      help: 'Time from taking an admin command to its outcome, retries included.',
      labelNames,
      buckets: [0.001, 0.01, 0.1, 1, 10, 60],
      registers,
    });
    new Gauge({
      name: 'pubkeeper_commands_queue_depth',
      help: 'Admin commands queued and not finished.',
      registers,
      collect() {
        this.set(depth());
      },
    });
  }

  seen(record: CommandRecord): void {
    this.seenTotal.inc(labels(record));
  }

  processed(record: CommandRecord, seconds: number): void {
    this.processedTotal.inc(labels(record));
    this.processing.observe(labels(record), seconds);
  }

  retried(record: CommandRecord): void {
    this.retriedTotal.inc(labels(record));
  }

  discarded(record: CommandRecord): void {
    this.discardedTotal.inc(labels(record));
  }
}

const labels = (record: CommandRecord): { command: string; version: string } => ({ command: record.command, version: String(record.version) });
