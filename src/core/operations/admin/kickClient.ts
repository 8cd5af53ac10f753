import { CloseCode, CloseReason } from '../../../protocol/closeCodes.js';
import type { Ports } from '../../ports.js';
import type { Session } from '../../sessions/session.js';

export type KickTarget = { readonly sub: string } | { readonly uri: string };

/** `kick client`: the client's sessions, or the one holding the URI, close 4005; it may reconnect. [ADM-KICK-1] */
export function kickClient(ports: Ports, target: KickTarget): number {
  const held = 'uri' in target ? ports.sessions.atUri(target.uri) : undefined;
  const sessions: Session[] = 'sub' in target ? [...ports.sessions.withSub(target.sub)] : held ? [held] : [];
  for (const session of sessions) {
    session.log.warn('kicked by an admin, closing');
    session.close(CloseCode.KICKED, CloseReason.KICKED);
  }
  return sessions.length;
}
