/** WebSocket close codes of CONTRACT §6. The reasons are what the peer reads. */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  POLICY: 1008,
  TOO_BIG: 1009,
  INTERNAL: 1011,
  SUPERSEDED: 4000,
  AUTH_TIMEOUT: 4001,
  TOKEN_EXPIRED: 4003,
  TOKEN_REVOKED: 4004,
  KICKED: 4005,
} as const;

export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

export const CloseReason = {
  GOING_AWAY: 'Server shutting down.',
  SUPERSEDED: 'Session superseded.',
  AUTH_TIMEOUT: 'Not authenticated in time.',
  AUTH_REFUSED: 'Too many failed authentications.',
  TOKEN_EXPIRED: 'Token expired.',
  TOKEN_REVOKED: 'Token revoked.',
  KICKED: 'Kicked.',
  SLOW_CONSUMER: 'Slow consumer.',
  ERROR_FLOOD: 'Too many errors.',
  IDLE: 'Idle.',
  TOO_BIG: 'Frame too large.',
  INTERNAL: 'Internal error.',
} as const;
