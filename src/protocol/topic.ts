import { fail, ok, type Result } from './errors.js';

/** CONTRACT §3 limits, checked before any matching work. */
export const MAX_TOPIC_BYTES = 255;
export const MAX_TOPIC_SEGMENTS = 32;

export const SINGLE_WILDCARD = '*';
export const MULTI_WILDCARD = '**';

// A segment may not hold '.', '*', JS whitespace or C0/C1 control characters.
// eslint-disable-next-line no-control-regex -- control characters are exactly what it refuses
const BAD_SEGMENT_CHAR = /[.*\s\u0000-\u001f\u007f-\u009f]/u;

export interface TopicSyntax {
  /** Patterns (subscriptions, rights) may use the whole segments `*` and `**`. */
  wildcards: boolean;
}

/**
 * Splits and validates a topic or pattern. The field name goes into the error detail so the
 * client reads which field was wrong.
 */
export function parseTopic(value: unknown, syntax: TopicSyntax, field = 'topic'): Result<string[]> {
  if (typeof value !== 'string') return fail('INVALID_PAYLOAD', `${field} must be a string`);
  // Cheap bound first: a string of more UTF-16 units than the byte cap can never fit.
  if (value.length > MAX_TOPIC_BYTES || Buffer.byteLength(value, 'utf8') > MAX_TOPIC_BYTES) {
    return fail('INVALID_PAYLOAD', `${field} is longer than ${MAX_TOPIC_BYTES} bytes`);
  }
  if (value.length === 0) return fail('INVALID_PAYLOAD', `${field} must not be empty`);
  const segments = value.split('.');
  if (segments.length > MAX_TOPIC_SEGMENTS) {
    return fail('INVALID_PAYLOAD', `${field} has more than ${MAX_TOPIC_SEGMENTS} segments`);
  }
  for (const segment of segments) {
    if (segment === SINGLE_WILDCARD || segment === MULTI_WILDCARD) {
      if (!syntax.wildcards) return fail('INVALID_PAYLOAD', `${field} must be a literal topic without wildcards`);
      continue;
    }
    if (segment.length === 0) return fail('INVALID_PAYLOAD', `${field} has an empty segment`);
    if (BAD_SEGMENT_CHAR.test(segment)) {
      return fail('INVALID_PAYLOAD', `${field} has a segment with a forbidden character`);
    }
  }
  return ok(segments);
}
