import { z } from 'zod';
import type { BrewerPut, ClusterNotice, PatronPut } from '../../core/registry/changes.js';
import { canonicalJson } from '../../core/registry/canonicalJson.js';
import type { SessionRef } from '../../core/sessions/sessionRef.js';
import { brewSchema } from '../../protocol/pubkeeper-v1/packets.js';
import { brewerSchema } from '../../protocol/pubkeeper/packets.js';
import { parseTopic } from '../../protocol/topic.js';

/**
 * The log's ops as this node applies them (scripts.ts lists them). Everything read from Redis is
 * checked like client input before it touches this node's copy: another process wrote it, and a
 * bad value must cost that one op, never the node or its sessions' state.
 */
export type LogOp =
  | ({ readonly op: 'b+' } & BrewerPut)
  | { readonly op: 'b-'; readonly topic: string; readonly uuid: string }
  | { readonly op: 'r'; readonly uuid: string; readonly sub: string; readonly until: number }
  | ({ readonly op: 'p+' } & PatronPut)
  | { readonly op: 'p-'; readonly owner: SessionRef; readonly topic: string; readonly patronId: string }
  | { readonly op: 'u+'; readonly uri: string; readonly owner: SessionRef }
  | { readonly op: 'u-'; readonly uri: string }
  | { readonly op: 'n'; readonly notice: ClusterNotice; readonly from: string }
  | { readonly op: 'x'; readonly node: string };

// Sizes were limited by the node that wrote them, under its own settings.
const str = z.string().min(1);
const ref = (node: string, session: string): SessionRef => ({ node, session });

const target = z.union([
  z.strictObject({ jti: str }),
  z.strictObject({ sub: str }),
  z.strictObject({ uri: str }),
  z.strictObject({ action: z.enum(['requeue', 'delete']), uuid: str, node: str }),
]);

const rawOp = z.union([
  z.tuple([z.literal('b+'), str, str, str, str, str, str, str]),
  z.tuple([z.literal('b-'), str, str]),
  z.tuple([z.literal('r'), str, str, z.number().finite()]),
  z.tuple([z.literal('p+'), str, str, str, str, str, str]),
  z.tuple([z.literal('p-'), str, str, str, str]),
  z.tuple([z.literal('u+'), str, str, str]),
  z.tuple([z.literal('u-'), str]),
  z.tuple([z.literal('n'), z.enum(['revoke', 'unrevoke', 'kick', 'command']), str, str]),
  z.tuple([z.literal('x'), str]),
]);

/** One entry's text → its ops, or why it cannot be applied (an op that is not what a script writes). */
export function parseEntry(text: string): { ops: LogOp[] } | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { error: 'entry is not JSON' };
  }
  if (!Array.isArray(parsed)) return { error: 'entry is not a list of ops' };
  const ops: LogOp[] = [];
  for (const [index, raw] of parsed.entries()) {
    const op = parseOp(raw);
    if (typeof op === 'string') return { error: `op ${index}: ${op}` };
    ops.push(op);
  }
  return { ops };
}

/** A registration value as the `reg` hash keeps it: [topic, uuid, brewerJson, canonical, sub, node, session]. */
export function parseRegistrationValue(text: string): LogOp | string {
  const value = parseJson(text);
  return Array.isArray(value) ? parseOp(['b+', ...value]) : 'not a registration';
}

/** A patron value as the `pat` hash keeps it: [node, session, topic, patronId, brewsJson, canonical]. */
export function parsePatronValue(text: string): LogOp | string {
  const value = parseJson(text);
  return Array.isArray(value) ? parseOp(['p+', ...value]) : 'not a patron';
}

/** A URI holder as the `uri` hash keeps it: [node, session]. */
export function parseUriValue(uri: string, text: string): LogOp | string {
  const value = parseJson(text);
  return Array.isArray(value) ? parseOp(['u+', uri, ...value]) : 'not a URI holder';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function parseOp(raw: unknown): LogOp | string {
  const checked = rawOp.safeParse(raw);
  if (!checked.success) return 'not an op a script writes';
  const op = checked.data;
  switch (op[0]) {
    case 'b+': {
      const [, topic, uuid, brewerJson, canonical, sub, node, session] = op;
      const segments = parseTopic(topic, { wildcards: false });
      if (!segments.ok) return `topic: ${segments.error.message}`;
      const brewer = brewerSchema.safeParse(parseJson(brewerJson));
      if (!brewer.success || brewer.data.uuid !== uuid) return 'brewer is not a brewer object with its uuid';
      // The canonical form decides what is "identical": it must be the brewer's, or two nodes would disagree.
      if (canonicalJson(brewer.data) !== canonical) return 'canonical form does not match the brewer';
      return { op: 'b+', topic, segments: segments.value, brewer: brewer.data, canonical, sub, owner: ref(node, session) };
    }
    case 'b-':
      return { op: 'b-', topic: op[1], uuid: op[2] };
    case 'r':
      return { op: 'r', uuid: op[1], sub: op[2], until: op[3] };
    case 'p+': {
      const [, node, session, topic, patronId, brewsJson, canonical] = op;
      const segments = parseTopic(topic, { wildcards: true });
      if (!segments.ok) return `topic: ${segments.error.message}`;
      const brews = z.array(brewSchema).safeParse(parseJson(brewsJson));
      if (!brews.success || canonicalJson(brews.data) !== canonical) return 'brews are not a list of brews';
      return { op: 'p+', owner: ref(node, session), topic, segments: segments.value, patronId, brews: brews.data, canonical };
    }
    case 'p-':
      return { op: 'p-', owner: ref(op[1], op[2]), topic: op[3], patronId: op[4] };
    case 'u+':
      return { op: 'u+', uri: op[1], owner: ref(op[2], op[3]) };
    case 'u-':
      return { op: 'u-', uri: op[1] };
    case 'n': {
      const checkedTarget = target.safeParse(parseJson(op[2]));
      if (!checkedTarget.success) return 'notice target is not {jti}, {sub} or {uri}';
      const notice = toNotice(op[1], checkedTarget.data);
      return notice ? { op: 'n', notice, from: op[3] } : 'notice target does not fit its kind';
    }
    case 'x':
      return { op: 'x', node: op[1] };
  }
}

function toNotice(kind: ClusterNotice['kind'], t: z.infer<typeof target>): ClusterNotice | undefined {
  if (kind === 'command') return 'action' in t ? { kind, target: t } : undefined;
  if ('action' in t) return undefined;
  if (kind === 'kick') return 'uri' in t || 'sub' in t ? { kind, target: t } : undefined;
  return 'jti' in t || 'sub' in t ? { kind, target: t } : undefined;
}
