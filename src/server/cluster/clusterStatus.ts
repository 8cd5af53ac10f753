/**
 * What a cluster node knows of its place in the cluster, for /healthz, /metrics and the logs:
 * plain fields the engine keeps up to date, read without asking Redis.
 */
export class ClusterStatus {
  /** Redis answered the last heartbeat in time. */
  reachable = false;
  /** Since when (ms), for the reaper's "a whole lease reachable" rule. */
  reachableSince = 0;
  /** Live nodes, as of the last heartbeat. */
  nodes = 0;
  /** The log's last seq, as of the last heartbeat. */
  head = 0;
  reaps = 0;
  resyncs = 0;
  rejoins = 0;
  /** Values in Redis that no node writes, ignored. */
  invalidEntries = 0;

  constructor(
    /** `--node-id` */
    readonly nodeId: string,
    /** This process's incarnation: the node id and a random suffix. */
    readonly node: string,
    /** The last seq applied here (the applied log keeps it). */
    private readonly appliedSeq: () => number,
  ) {}

  get applied(): number {
    return this.appliedSeq();
  }

  /** How many log entries this node is behind the shared state. */
  get lag(): number {
    return Math.max(0, this.head - this.applied);
  }

  /** The cluster part of /healthz. */
  toJSON(): Record<string, unknown> {
    return { node: this.nodeId, incarnation: this.node, engine: this.reachable ? 'reachable' : 'unreachable', nodes: this.nodes, lag: this.lag };
  }
}
