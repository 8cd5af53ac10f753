import { SERVER_URI } from '../pcpUri.js';

/**
 * The PCP message as the router sees it, whichever version it came in on (CONTRACT §5). v2's
 * single `target` becomes a one-element `targets`; v1's envelope fields that v2 lacks ride along
 * so v1 rules (expiry, destination report) can be applied.
 */
export interface PcpMessage {
  id: string;
  message_type: string;
  /** v2: [] (broker) or [target]; v1: the envelope's `targets`, as sent. */
  targets: string[];
  sender?: string;
  in_reply_to?: string;
  /** Any JSON value; absent when the message carries no data. */
  data?: unknown;
  /** v1 only: ISO 8601 expiry. */
  expires?: string;
  /** v1 only. */
  destination_report?: boolean;
}

/** A message the server sends: always one target (or none for v2 error messages). */
export interface OutgoingMessage {
  id: string;
  message_type: string;
  target?: string;
  sender?: string;
  in_reply_to?: string;
  data?: unknown;
  /** v1 only: ISO 8601; the encoder fills one in when absent. */
  expires?: string;
}

/** The broker's own URI (`pcp:///server`): messages to it have this target, its replies this sender. */
export const BROKER_URI = SERVER_URI;

/** Message types the broker sends or understands. */
export const MessageType = {
  ERROR: 'http://puppetlabs.com/error_message',
  UNAUTHORIZED: 'http://puppetlabs.com/unauthorized',
  TTL_EXPIRED: 'http://puppetlabs.com/ttl_expired',
  DESTINATION_REPORT: 'http://puppetlabs.com/destination_report',
  ASSOCIATE_REQUEST: 'http://puppetlabs.com/associate_request',
  ASSOCIATE_RESPONSE: 'http://puppetlabs.com/associate_response',
  INVENTORY_REQUEST: 'http://puppetlabs.com/inventory_request',
  INVENTORY_RESPONSE: 'http://puppetlabs.com/inventory_response',
  INVENTORY_UPDATE: 'http://puppetlabs.com/inventory_update',
  PK_AUTHENTICATE: 'pubkeeper/authenticate',
  PK_BREWER_REGISTER: 'pubkeeper/brewer_register',
  PK_BREWER_UNREGISTER: 'pubkeeper/brewer_unregister',
  PK_SUBSCRIBE: 'pubkeeper/subscribe',
  PK_UNSUBSCRIBE: 'pubkeeper/unsubscribe',
  PK_OK: 'pubkeeper/ok',
  PK_BREWER_NOTIFY: 'pubkeeper/brewer_notify',
  PK_BREWER_REMOVED: 'pubkeeper/brewer_removed',
} as const;

export const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
