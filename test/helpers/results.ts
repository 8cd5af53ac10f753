import type { Result } from '../../src/protocol/errors.js';

/** How protocol/vectors write a decode failure: our detail, and the message id when one was read. */
export interface VectorError {
  detail: string;
  id?: string;
}

/** A decoder's Result in the shape of the vectors: `{ok, message}` or `{ok: false, error: {detail, id?}}`. */
export function asDecodeVector<T>(result: Result<T>): { ok: true; message: T } | { ok: false; error: VectorError } {
  if (result.ok) return { ok: true, message: result.value };
  const { detail, messageId } = result.error;
  return { ok: false, error: messageId === undefined ? { detail: detail ?? '' } : { detail: detail ?? '', id: messageId } };
}

/** The detail of a failed Result, or undefined when it succeeded. */
export function errorDetail<T>(result: Result<T>): string | undefined {
  return result.ok ? undefined : result.error.detail;
}

/** A Result in the older shape of the chunk vectors: the value itself, or `{error: detail}`. */
export function asChunkVector<T>(result: Result<T>): T | { error: string } {
  return result.ok ? result.value : { error: result.error.detail ?? '' };
}
