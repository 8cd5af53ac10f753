import type { Result } from '../protocol/errors.js';
import type { AuthSurface } from './auth/refusal.js';
import type { Identity } from './auth/verifyToken.js';
import type { Notifier } from './notify/notifier.js';
import type { Inventory } from './pcp/inventory.js';
import type { RegistryEngine } from './registry/registryEngine.js';
import type { SessionLimits } from './sessions/session.js';
import type { SessionTable } from './sessions/sessionTable.js';
import type { Subscriptions } from './subscriptions/subscriptions.js';

/** What the core needs of the configuration; the server's frozen Config satisfies it. */
export interface CoreOptions extends SessionLimits {
  readonly issuer: string;
  readonly audience: string;
  readonly maxTokenBytes: number;
  readonly authTimeoutMs: number;
  readonly maxAuthFailures: number;
  readonly inventoryBatchMs: number;
  readonly uuidReserveMs: number;
}

/** Counters the edge turns into metrics; plain numbers, so the hot paths add nothing. */
export interface CoreStats {
  notificationsSent: number;
  messagesRouted: number;
}

/**
 * What an operation works with, each a narrow port: shared state (registrations, patrons, URIs)
 * changes only through `engine`; subscriptions and inventory subscriptions are this node's own;
 * sessions are found only in `sessions`.
 */
export interface Ports {
  readonly options: CoreOptions;
  readonly sessions: SessionTable;
  readonly engine: RegistryEngine;
  readonly subscriptions: Subscriptions;
  readonly notifier: Notifier;
  readonly inventory: Inventory;
  readonly stats: CoreStats;
  /** Checks a token against the current keys (CONTRACT §3), on `surface` (for the auth time metric). */
  verify(token: unknown, surface: AuthSurface): Result<Identity>;
}
