import type { Brew } from '../../protocol/pubkeeper-v1/packets.js';
import type { Brewer } from '../../protocol/pubkeeper/packets.js';
import type { Patron } from '../patrons/patron.js';
import type { SessionRef } from '../sessions/sessionRef.js';
import type { Registration } from './registration.js';

/** A brewer registration's identity: one per (topic, uuid). */
export interface BrewerKey {
  readonly topic: string;
  readonly uuid: string;
}

/** A brewer registration as a put writes it (a proposal, or a cluster log op). */
export interface BrewerPut {
  readonly topic: string;
  readonly segments: readonly string[];
  readonly brewer: Brewer;
  /** The brewer object's canonical JSON: equal objects (key order aside) are one registration. */
  readonly canonical: string;
  readonly sub: string;
  readonly owner: SessionRef;
}

/** A 1.x patron as a put writes it (a proposal, or a cluster log op). */
export interface PatronPut {
  readonly owner: SessionRef;
  readonly topic: string;
  readonly segments: readonly string[];
  readonly patronId: string;
  readonly brews: readonly Brew[];
  readonly canonical: string;
}

/**
 * A change an operation asks the registry engine for. Plain data, so that an engine may write it
 * to a shared log; the operation has already checked syntax, rights and limits, and the engine
 * re-checks only what another node could have changed meanwhile (uuid ownership).
 */
export type Proposal =
  | ({ readonly kind: 'brewer.put' } & BrewerPut)
  | {
      readonly kind: 'brewer.remove';
      readonly topic: string;
      readonly uuid: string;
      /** Refused (LACK_PERMISSIONS) when the uuid belongs to another sub. */
      readonly sub?: string;
      /** Removed only while this session still holds it (it may have been taken over meanwhile). */
      readonly owner?: SessionRef;
    }
  | ({ readonly kind: 'patron.put' } & PatronPut)
  | { readonly kind: 'patron.remove'; readonly owner: SessionRef; readonly topic: string; readonly patronId: string }
  | {
      /**
       * A PCP client connected: it holds the URI from now on. The URI's previous session hands it
       * every registration (the same client reconnecting must not make its brewers flap), except
       * `drop`, which the new session's rights do not allow and which are removed.
       */
      readonly kind: 'uri.claim';
      readonly uri: string;
      readonly owner: SessionRef;
      readonly drop: readonly BrewerKey[];
    };

/**
 * A change as applied, in order, on every node: what both notification paths (subscriptions and
 * 1.x pairs), the inventory and supersession run from. (A request that changed nothing is
 * answered by its operation.)
 */
export type Applied =
  | { readonly kind: 'brewer.added'; readonly registration: Registration }
  | { readonly kind: 'brewer.replaced'; readonly registration: Registration; readonly previous: Registration }
  | { readonly kind: 'brewer.moved'; readonly registration: Registration; readonly from: SessionRef }
  | { readonly kind: 'brewer.removed'; readonly registration: Registration }
  | { readonly kind: 'patron.added'; readonly patron: Patron }
  | { readonly kind: 'patron.replaced'; readonly patron: Patron; readonly previous: Patron }
  | { readonly kind: 'patron.removed'; readonly patron: Patron }
  | { readonly kind: 'uri.claimed'; readonly uri: string; readonly owner: SessionRef; readonly previous: SessionRef | undefined }
  | { readonly kind: 'uri.released'; readonly uri: string; readonly owner: SessionRef };

export type AppliedListener = (change: Applied) => void;

/**
 * An admin action every node must carry out on its own sessions (CONTRACT §8 in cluster mode):
 * revocations are also kept by each node's `Revocations`; a kick is a moment.
 */
export type ClusterNotice =
  | { readonly kind: 'revoke'; readonly target: { readonly jti: string } | { readonly sub: string } }
  | { readonly kind: 'unrevoke'; readonly target: { readonly jti: string } | { readonly sub: string } }
  | { readonly kind: 'kick'; readonly target: { readonly sub: string } | { readonly uri: string } }
  /** A dead letter of `node`'s command queue to put back in it or delete (asked on another node). */
  | { readonly kind: 'command'; readonly target: { readonly action: 'requeue' | 'delete'; readonly uuid: string; readonly node: string } };

export type NoticeListener = (notice: ClusterNotice, fromThisNode: boolean) => void;
