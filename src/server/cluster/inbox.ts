import { z } from 'zod';
import type { SessionRef } from '../../core/sessions/sessionRef.js';
import type { OutgoingMessage } from '../../protocol/pcp/message.js';

/**
 * A PCP message routed to a session on another node, as published on that node's inbox channel:
 * `{to: sessionId, m: message, r: [node, session]}`, `r` being the sender's session, told when
 * `to` has gone. What comes off the channel is checked like client input.
 */
const deliverySchema = z.strictObject({
  to: z.string().min(1),
  r: z.tuple([z.string().min(1), z.string().min(1)]).optional(),
  m: z.strictObject({
    id: z.string().min(1),
    message_type: z.string().min(1),
    target: z.string().min(1),
    sender: z.string().min(1),
    in_reply_to: z.string().optional(),
    data: z.unknown().optional(),
    expires: z.string().optional(),
  }),
});

export function encodeInbox(session: string, message: OutgoingMessage, from: SessionRef | undefined): string {
  return JSON.stringify({ to: session, m: message, ...(from ? { r: [from.node, from.session] } : {}) });
}

export function parseInbox(text: string): { session: string; message: OutgoingMessage; from: SessionRef | undefined } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const checked = deliverySchema.safeParse(value);
  if (!checked.success) return undefined;
  const { m } = checked.data;
  const message: OutgoingMessage = {
    id: m.id,
    message_type: m.message_type,
    target: m.target,
    sender: m.sender,
    ...(m.in_reply_to !== undefined ? { in_reply_to: m.in_reply_to } : {}),
    ...(m.data !== undefined ? { data: m.data } : {}),
    ...(m.expires !== undefined ? { expires: m.expires } : {}),
  };
  const r = checked.data.r;
  return { session: checked.data.to, message, from: r ? { node: r[0], session: r[1] } : undefined };
}
