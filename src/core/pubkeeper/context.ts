import type { PubkeeperError } from '../../protocol/errors.js';
import type { Hub } from '../hub.js';
import type { Session } from '../session.js';

/** What a JSON-dialect handler works with: the hub, its session, and how to answer. */
export interface JsonContext {
  readonly hub: Hub;
  readonly session: Session;
  /** Sends ERROR with the error's wire text; counts towards the error-flood limit. */
  error(error: PubkeeperError): void;
  /** Counts a refused token towards the unauthenticated-session limit. */
  authFailed(): void;
}
