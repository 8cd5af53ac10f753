// Mutators of the fuzz suite: random JSON values, structural mutations of a JSON tree, damaged
// JSON text and bytes (lying header fields included), and deep nesting as text. All randomness
// comes from the seeded Rng.
import { fuzzString, HOSTILE_NUMBERS, HOSTILE_STRINGS, randomString, type Rng } from './rng.js';

/** Sets an own, enumerable data property, even for `__proto__` (plain assignment would not). */
export function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Any JSON value, nested a few levels at most, hostile keys and strings included. */
export function anyValue(rng: Rng, depth = 0): unknown {
  const kind = rng.int(depth >= 3 ? 5 : 8);
  switch (kind) {
    case 0:
      return fuzzString(rng);
    case 1:
      return rng.pick(HOSTILE_NUMBERS);
    case 2:
      return rng.chance(0.5);
    case 3:
      return null;
    case 4:
      return rng.int(1000);
    case 5: {
      const out: unknown[] = [];
      for (let i = rng.int(4); i > 0; i--) out.push(anyValue(rng, depth + 1));
      return out;
    }
    default: {
      const out: Record<string, unknown> = {};
      for (let i = rng.int(4); i > 0; i--) setKey(out, fuzzString(rng), anyValue(rng, depth + 1));
      return out;
    }
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A deep copy that keeps own `__proto__` keys as keys. */
export function cloneJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneJson);
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) setKey(out, key, cloneJson(value[key]));
    return out;
  }
  return value;
}

type Slot = { get: () => unknown; set: (v: unknown) => void; remove: () => void; container: unknown };

function slots(root: { value: unknown }): Slot[] {
  const out: Slot[] = [];
  const visit = (get: () => unknown, set: (v: unknown) => void, remove: () => void, container: unknown): void => {
    out.push({ get, set, remove, container });
    const v = get();
    if (Array.isArray(v)) {
      v.forEach((_, i) =>
        visit(
          () => v[i],
          (x) => (v[i] = x),
          () => v.splice(i, 1),
          v,
        ),
      );
    } else if (isRecord(v)) {
      for (const key of Object.keys(v)) {
        visit(
          () => v[key],
          (x) => setKey(v, key, x),
          () => delete v[key],
          v,
        );
      }
    }
  };
  visit(
    () => root.value,
    (x) => (root.value = x),
    () => (root.value = undefined),
    root,
  );
  return out;
}

/**
 * One to three structural mutations of a JSON value: a node replaced by any value or a hostile
 * one, a key dropped or added, a node wrapped, a string cut or extended, a number pushed to a
 * boundary, an object turned into an array. The input is not modified.
 */
export function mutateTree(rng: Rng, value: unknown): unknown {
  const root = { value: cloneJson(value) };
  for (let n = rng.range(1, 3); n > 0; n--) {
    const all = slots(root);
    const slot = rng.pick(all);
    const v = slot.get();
    switch (rng.int(9)) {
      case 0:
        slot.set(anyValue(rng));
        break;
      case 1:
        if (slot.container !== root) slot.remove();
        else slot.set(anyValue(rng));
        break;
      case 2:
        if (isRecord(v)) setKey(v, fuzzString(rng), anyValue(rng));
        else slot.set(rng.pick(HOSTILE_STRINGS));
        break;
      case 3:
        slot.set(rng.chance(0.5) ? [v] : { [rng.pick(['x', 'topic', 'brewer', 'data'])]: v });
        break;
      case 4:
        if (typeof v === 'string') {
          const cut = rng.int(v.length + 1);
          slot.set(rng.chance(0.5) ? v.slice(0, cut) : v.slice(0, cut) + fuzzString(rng) + v.slice(cut));
        } else slot.set(fuzzString(rng));
        break;
      case 5:
        slot.set(rng.pick(HOSTILE_NUMBERS));
        break;
      case 6:
        if (isRecord(v)) slot.set(Object.values(v));
        else if (Array.isArray(v)) slot.set({ ...v });
        else slot.set(typeof v === 'number' ? String(v) : typeof v === 'string' ? Number(v) : !v);
        break;
      case 7:
        slot.set(rng.pick([null, true, false, [], {}, '', 0]));
        break;
      default:
        if (isRecord(v)) setKey(v, rng.pick(['__proto__', 'constructor', 'prototype']), anyValue(rng));
        else {
          const odd: Record<string, unknown> = {};
          setKey(odd, '__proto__', { polluted: true });
          setKey(odd, 'constructor', { prototype: { polluted: true } });
          slot.set(odd);
        }
        break;
    }
  }
  return root.value;
}

/** JSON text, with own `__proto__` keys written as keys (JSON.stringify does that already). */
export function toJson(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/** Damage JSON text: cut, extend, splice in junk, drop or duplicate a slice. */
export function mutateText(rng: Rng, text: string): string {
  const at = rng.int(text.length + 1);
  switch (rng.int(7)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return text + rng.pick([']', '}', ',', '"', ',{}', ']]', ' ', '\u0000', randomString(rng, 8)]);
    case 2:
      return text.slice(0, at) + String.fromCharCode(rng.int(0x80)) + text.slice(at + 1);
    case 3:
      return text.slice(0, at) + rng.pick(['[', '{', '"', ':', ',', 'null', '\\', '\\u', '\\ud800']) + text.slice(at);
    case 4:
      return text.slice(0, at) + text.slice(at + rng.int(8));
    case 5:
      return text.slice(0, at) + text.slice(at, at + rng.int(16)) + text.slice(at);
    default:
      return rng.chance(0.5) ? ` ${text}\n` : `\ufeff${text}`;
  }
}

/** A field of a binary header: where it is and how wide (little or big endian). */
export interface ByteField {
  offset: number;
  size: 1 | 2 | 4;
  bigEndian?: boolean;
}

const BOUNDARIES = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

/** Damage bytes: a bit flipped, a header field set to a boundary (a lying length), cut or extended. */
export function mutateBytes(rng: Rng, bytes: Uint8Array, fields: readonly ByteField[] = []): Buffer {
  const out = Buffer.from(bytes);
  const kind = rng.int(fields.length > 0 ? 7 : 6);
  const at = rng.int(Math.max(out.length, 1));
  switch (kind) {
    case 0:
      if (out.length > 0) out[at] = (out[at] ?? 0) ^ (1 << rng.int(8));
      return out;
    case 1:
      if (out.length > 0) out[at] = rng.int(256);
      return out;
    case 2:
      return out.subarray(0, rng.int(out.length + 1));
    case 3:
      return Buffer.concat([out, rng.bytes(rng.range(1, 16))]);
    case 4:
      return Buffer.concat([out.subarray(0, at), rng.bytes(rng.range(1, 8)), out.subarray(at)]);
    case 5:
      return Buffer.concat([out.subarray(0, at), out.subarray(at + rng.range(1, 8))]);
    default: {
      const field = rng.pick(fields);
      if (field.offset + field.size > out.length) return out;
      const max = 2 ** (8 * field.size) - 1;
      const current = readField(out, field);
      const value = rng.chance(0.5) ? rng.pick(BOUNDARIES) % (max + 1) : Math.max(0, Math.min(max, current + rng.range(-2, 2)));
      writeField(out, field, value);
      return out;
    }
  }
}

function readField(buf: Buffer, f: ByteField): number {
  if (f.size === 1) return buf.readUInt8(f.offset);
  if (f.size === 2) return f.bigEndian ? buf.readUInt16BE(f.offset) : buf.readUInt16LE(f.offset);
  return f.bigEndian ? buf.readUInt32BE(f.offset) : buf.readUInt32LE(f.offset);
}

function writeField(buf: Buffer, f: ByteField, v: number): void {
  if (f.size === 1) buf.writeUInt8(v, f.offset);
  else if (f.size === 2) {
    if (f.bigEndian) buf.writeUInt16BE(v, f.offset);
    else buf.writeUInt16LE(v, f.offset);
  } else if (f.bigEndian) buf.writeUInt32BE(v, f.offset);
  else buf.writeUInt32LE(v, f.offset);
}

/** Nesting `depth` levels deep, as JSON text (never built as an object: JSON.stringify would overflow). */
export function deepJson(kind: 'array' | 'object' | 'mixed', depth: number): string {
  if (kind === 'array') return '['.repeat(depth) + ']'.repeat(depth);
  if (kind === 'object') return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  return '[{"a":'.repeat(depth) + '[]' + '}]'.repeat(depth);
}

const DEEP_MARK = '@@deep@@';

/** `template` as JSON text, with the string "@@deep@@" replaced by `deep`. */
export function withDeep(template: unknown, deep: string): string {
  return toJson(template).replace(JSON.stringify(DEEP_MARK), deep);
}

export const DEEP = DEEP_MARK;
