import type { Logger } from '../../core/logger.js';
import type { ClusterStatus } from './clusterStatus.js';
import type { Reply, RunScript } from './scripts.js';

export interface LeaseTimings {
  /** Renewals: three a lease. */
  readonly beatMs: number;
  /** Reaper scans: a few a second. */
  readonly reapMs: number;
}

/** How often each loop runs, from the lease. */
export const leaseTimings = (leaseMs: number): LeaseTimings => ({
  beatMs: Math.max(50, Math.floor(leaseMs / 3)),
  reapMs: Math.max(50, Math.min(250, Math.floor(leaseMs / 8))),
});

export interface LeaseOptions {
  readonly leaseMs: number;
  readonly uuidReserveMs: number;
  readonly log: Logger;
  readonly run: RunScript;
  /** Joins again (after a lost lease or a lost cluster) and puts back what this node holds. */
  readonly rejoin: () => Promise<void>;
  /** An entry a script wrote, to apply in order. */
  readonly offer: (reply: Reply) => void;
  /** The log's last seq is behind what this node applied: Redis went back in time. */
  readonly rewound: () => Promise<void>;
}

/**
 * This node's lease and the reaper of other nodes' (protocol/cluster.md, "Leases"): renewed three
 * times a lease; a renewal with no answer within a third of the lease means Redis is away, which
 * /healthz and the logs say. Only a node that has reached Redis for a whole lease reaps, so one
 * that just came back does not reap every node that has not renewed since; the scripts add the
 * other half of that rule (a Redis that stalled gives every lease a fresh start).
 */
export class Leases {
  private readonly timers: NodeJS.Timeout[] = [];
  private beating = false;
  private reaping = false;
  private stopped = false;

  constructor(
    private readonly status: ClusterStatus,
    private readonly timing: LeaseTimings,
    private readonly options: LeaseOptions,
  ) {}

  start(): void {
    this.timers.push(setInterval(() => void this.renew(), this.timing.beatMs));
    this.timers.push(setInterval(() => void this.reap(), this.timing.reapMs));
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
  }

  /** Renews the lease now (also on every reconnection, so a lost cluster is found at once). */
  async renew(): Promise<void> {
    if (this.beating || this.stopped) return;
    this.beating = true;
    const late = setTimeout(() => this.unreachable('no answer within a third of the lease'), this.timing.beatMs);
    // Entries applied before the renewal is sent are in Redis by the time it runs.
    const applied = this.status.applied;
    try {
      const reply = await this.options.run('pkHeartbeat', [this.options.leaseMs]);
      clearTimeout(late);
      this.reachable();
      if (reply[0] === 'OK') {
        this.status.nodes = Number(reply[1]);
        this.status.head = Number(reply[2]);
        if (this.status.head < applied) await this.options.rewound();
        return;
      }
      // Refused for a lease this node has joined again since it was sent: nothing to do.
      if (reply[0] === 'STALE') return;
      if (reply[0] === 'REJOIN') this.options.offer(['OK', reply[1] ?? 0, reply[2] ?? '']);
      await this.options.rejoin();
    } catch (err) {
      clearTimeout(late);
      this.unreachable(err instanceof Error ? err.message : 'renewal failed');
    } finally {
      this.beating = false;
    }
  }

  reachable(): void {
    if (this.status.reachable) return;
    const again = this.status.reachableSince > 0;
    this.status.reachable = true;
    this.status.reachableSince = Date.now();
    if (again) this.options.log.info('the cluster engine is reachable again');
  }

  unreachable(reason: string): void {
    if (!this.status.reachable || this.stopped) return;
    this.status.reachable = false;
    this.options.log.warn({ reason }, "the cluster engine is unreachable: serving connected clients from this node's copy");
  }

  private async reap(): Promise<void> {
    if (this.reaping || this.stopped || !this.status.reachable || Date.now() - this.status.reachableSince < this.options.leaseMs) return;
    this.reaping = true;
    try {
      const reply = await this.options.run('pkReap', [this.options.leaseMs, this.options.uuidReserveMs]);
      if (reply[0] === 'FENCED' || reply[0] === 'EPOCH') await this.options.rejoin();
      else this.options.offer(reply);
    } catch {
      // Renewals report Redis being away.
    } finally {
      this.reaping = false;
    }
  }
}
