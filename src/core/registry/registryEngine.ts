import type { Result } from '../../protocol/errors.js';
import type { OutgoingMessage } from '../../protocol/pcp/message.js';
import type { PatronBook } from '../patrons/patronBook.js';
import type { UriDirectory } from '../pcp/uriDirectory.js';
import type { SessionRef } from '../sessions/sessionRef.js';
import type { Settled } from '../util/settled.js';
import type { BrewerRegistry } from './brewerRegistry.js';
import type { Applied, AppliedListener, ClusterNotice, NoticeListener, Proposal } from './changes.js';

/**
 * The one way registry state changes (STYLE §5.9). An operation proposes a change; the engine
 * applies changes strictly in order and tells its listeners each applied change, from which every
 * notification runs. The state below is this node's copy, for reading only.
 *
 * The in-process engine applies synchronously, inside `propose`: a SUBSCRIBE's snapshot and the
 * live notifications after it can then neither overlap nor leave a gap, by construction. A shared
 * engine (CLUSTER.md) keeps the same contract with a log in between.
 */
export interface RegistryEngine {
  /** This node's name: the `node` of every SessionRef of its sessions. */
  readonly node: string;
  /**
   * Is this node's own data dir where the shared admin state (revocations, static brewers) comes
   * from? Always in a single process; in a cluster only for the node that found Redis empty.
   */
  readonly seedsSharedState: boolean;
  readonly registry: BrewerRegistry;
  readonly patrons: PatronBook;
  readonly uris: UriDirectory;
  /**
   * Applies the change and returns what it changed (nothing, when it changed nothing): at once in
   * a single process; once it is applied on this node, in log order, with a shared engine.
   */
  propose(proposal: Proposal): Settled<Result<readonly Applied[]>>;
  /**
   * A session ended: whatever it still holds goes, after any change being applied now; `released`
   * is called once it has gone.
   */
  release(owner: SessionRef, released?: () => void): void;
  onApplied(listener: AppliedListener): void;
  /** The node is draining: its sessions are about to end (a shared engine keeps what they hold for the lease). */
  drain(): void;
  /** Tells every node (this one included) of an admin action that is not registry state. */
  announce(notice: ClusterNotice): void;
  onNotice(listener: NoticeListener): void;
  /**
   * Finds a URI's holder that this node's copy does not know yet (it connected elsewhere a moment
   * ago); undefined at once when there is nowhere else to look.
   */
  locate(uri: string): Settled<SessionRef | undefined> | undefined;
  /**
   * Hands a routed PCP message to a session on another node: false when no node took it. `from`
   * is told "Not connected." if that session has gone by the time it arrives.
   */
  forward(to: SessionRef, message: OutgoingMessage, from?: SessionRef): Settled<boolean>;
  /** A routed PCP message for a session of this node, from another node. */
  onForwarded(listener: ForwardListener): void;
}

export type ForwardListener = (to: SessionRef, message: OutgoingMessage, from: SessionRef | undefined) => void;
