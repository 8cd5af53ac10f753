import { randomUUID } from 'node:crypto';

/**
 * A random UUID as one flat string. Node builds `randomUUID()` by concatenation, and V8 keeps the
 * result as a tree of 15 string pieces (about 450 bytes) until something flattens it; an id kept
 * for a session's whole life is worth the one copy that makes it 56 bytes.
 */
export function flatUuid(): string {
  return Buffer.from(randomUUID(), 'latin1').toString('latin1');
}
