// Seeded input generators and a raw, recording WebSocket client for the fuzz suite
// (test/integration/fuzz.test.ts). Everything random comes from one seeded PRNG, so a seed names a
// run exactly: the same seed sends the same bytes.
import { isUtf8 } from 'node:buffer';
import WebSocket from 'ws';
import { onTestFinished } from 'vitest';
import { seededRandom, type RandomSource } from '../../src/client/backoff.js';

/** Close codes CONTRACT §6 lets the server use. */
export const CONTRACT_CLOSE_CODES: ReadonlySet<number> = new Set([1000, 1001, 1008, 1009, 4000, 4001, 4003, 4004, 4005]);

export class Rng {
  private readonly source: RandomSource;

  constructor(readonly seed: number) {
    this.source = seededRandom(seed);
  }

  float(): number {
    return this.source();
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.source() * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.source() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** One value of a `[weight, value]` table. */
  weighted<T>(table: readonly (readonly [number, T])[]): T {
    const total = table.reduce((sum, [w]) => sum + w, 0);
    let x = this.float() * total;
    for (const [w, value] of table) {
      if ((x -= w) < 0) return value;
    }
    const last = table[table.length - 1];
    if (last === undefined) throw new Error('weighted pick from an empty table');
    return last[1];
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }

  /** A version-4-shaped UUID from the seeded stream (PCP ids must be UUIDs). */
  uuid(): string {
    const hex = this.bytes(16).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
}

/** Strings that have broken parsers, prototype lookups, topic rules or logs somewhere before. */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  '\u0000',
  '\ud800',
  'a\udc00b',
  '\ud83d\ude00',
  'é',
  '\u202e',
  '\ufeff',
  '\u0085',
  '\u00a0',
  '\u2028',
  '*',
  '**',
  '.',
  '..',
  'pcp:///server',
  'pcp://*/*',
  'null',
  '1e999',
  '%00',
  '\\',
  '"',
  '\n',
  'x'.repeat(129),
  'y'.repeat(4096),
];

export const HOSTILE_NUMBERS: readonly number[] = [
  0, -0, 1, -1, 0.5, 1.5, 2, 12, 13, 20, 22, 23, 40, 99, 255, 256, 65535, 65536, 2 ** 31, 2 ** 32 - 1, 2 ** 32,
  2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e21, 1e308, -1e308, 5e-324,
];

/** A random string: ASCII, controls, Latin-1, BMP, lone surrogates and astral characters mixed. */
export function randomString(rng: Rng, maxLength = 24): string {
  const length = rng.int(maxLength + 1);
  let out = '';
  for (let i = 0; i < length; i++) {
    const kind = rng.int(10);
    if (kind < 5) out += String.fromCharCode(rng.range(0x20, 0x7e));
    else if (kind === 5) out += String.fromCharCode(rng.range(0, 0x1f));
    else if (kind === 6) out += String.fromCharCode(rng.range(0x80, 0xff));
    else if (kind === 7) out += String.fromCharCode(rng.range(0x100, 0xd7ff));
    else if (kind === 8) out += String.fromCharCode(rng.range(0xd800, 0xdfff));
    else out += String.fromCodePoint(rng.range(0x10000, 0x10ffff));
  }
  return out;
}

export function fuzzString(rng: Rng): string {
  return rng.chance(0.5) ? rng.pick(HOSTILE_STRINGS) : randomString(rng);
}

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
  else if (f.size === 2) (f.bigEndian ? buf.writeUInt16BE(v, f.offset) : buf.writeUInt16LE(v, f.offset));
  else (f.bigEndian ? buf.writeUInt32BE(v, f.offset) : buf.writeUInt32LE(v, f.offset));
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

/** One frame as sent: text (a string, or bytes sent as a text frame) or binary. */
export interface OutFrame {
  data: string | Buffer;
  binary: boolean;
}

export const text = (data: string | Buffer): OutFrame => ({ data, binary: false });
export const binary = (data: Uint8Array): OutFrame => ({ data: Buffer.from(data), binary: true });

/** The bytes the server receives for a frame (ws writes a JS string as UTF-8, lone surrogates as U+FFFD). */
export function wireBytes(frame: OutFrame): Buffer {
  return typeof frame.data === 'string' ? Buffer.from(frame.data, 'utf8') : frame.data;
}

/** The text the server decodes from a text frame, or undefined when it is not UTF-8. */
export function wireText(frame: OutFrame): string | undefined {
  const bytes = wireBytes(frame);
  return isUtf8(bytes) ? bytes.toString('utf8') : undefined;
}

export function describeFrame(frame: OutFrame, max = 160): string {
  const bytes = wireBytes(frame);
  const shown = frame.binary ? bytes.subarray(0, max / 2).toString('hex') : JSON.stringify(bytes.toString('utf8').slice(0, max));
  return `${frame.binary ? 'binary' : 'text'}(${bytes.length} B) ${shown}`;
}

export interface Received {
  data: Buffer;
  isBinary: boolean;
}

/**
 * A raw WebSocket that records every frame the server sends, runs a checker on each (the
 * dialect's well-formedness rules) and remembers how it was closed. UTF-8 is not validated by ws
 * here, so that the checker sees exactly what the server wrote.
 */
export class FuzzSocket {
  readonly received: Received[] = [];
  readonly violations: string[] = [];
  closedWith: { code: number; reason: string } | undefined;
  /** Set before we terminate the socket ourselves: only then is a 1006 ours. */
  terminatedByUs = false;
  private readonly watchers = new Set<() => void>();
  /** Called with every received frame, before the waiters look: for counters kept as frames come. */
  private readonly taps: ((r: Received) => void)[] = [];

  private constructor(
    readonly name: string,
    readonly ws: WebSocket,
    private readonly check: (r: Received) => string | undefined,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const r = { data, isBinary };
      this.received.push(r);
      for (const tap of this.taps) tap(r);
      let problem: string | undefined;
      try {
        problem = check(r);
      } catch (err) {
        problem = `checker threw ${String(err)}`;
      }
      if (problem !== undefined) {
        const shown = isBinary ? data.subarray(0, 80).toString('hex') : JSON.stringify(data.toString('utf8').slice(0, 300));
        this.violations.push(`${name}: ${problem}: ${shown}`);
      }
      this.notify();
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.closedWith = { code, reason: reason.toString() };
      this.notify();
    });
    ws.on('error', () => undefined); // surfaces as 'close'
  }

  static open(
    name: string,
    url: string,
    protocols: string[],
    check: (r: Received) => string | undefined,
    options: WebSocket.ClientOptions = {},
  ): Promise<FuzzSocket> {
    const ws = new WebSocket(url, protocols, { skipUTF8Validation: true, perMessageDeflate: false, ...options });
    onTestFinished(() => ws.terminate());
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new FuzzSocket(name, ws, check)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`${name}: upgrade refused with ${res.statusCode ?? 0}`)));
      ws.once('error', reject);
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Runs `fn` on every frame received from now on. */
  tap(fn: (r: Received) => void): void {
    this.taps.push(fn);
  }

  send(frame: OutFrame): void {
    if (this.open) this.ws.send(frame.data, { binary: frame.binary });
  }

  /**
   * Resolves once `done()` holds, checked after every frame and at the close. A close before
   * that rejects. The timeout only bounds a failure: nothing here waits for time to pass.
   */
  waitFor(done: () => boolean, what: string, ms = 8000): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.watchers.delete(watch);
        reject(new Error(`${this.name}: ${what} did not arrive (received ${this.received.length} frames)`));
      }, ms);
      const watch = (): void => {
        if (done()) {
          clearTimeout(timer);
          this.watchers.delete(watch);
          resolve();
        } else if (this.closedWith) {
          clearTimeout(timer);
          this.watchers.delete(watch);
          reject(new Error(`${this.name}: closed ${this.closedWith.code} "${this.closedWith.reason}" while waiting for ${what}`));
        }
      };
      this.watchers.add(watch);
    });
  }

  /** Resolves with the close, whoever closed. */
  closed(ms = 8000): Promise<{ code: number; reason: string }> {
    return this.waitFor(() => this.closedWith !== undefined, 'the close', ms).then(
      () => this.closedWith as { code: number; reason: string },
      (err: unknown) => {
        if (this.closedWith) return this.closedWith;
        throw err;
      },
    );
  }

  async close(code = 1000): Promise<void> {
    if (this.closedWith) return;
    if (this.open) this.ws.close(code);
    await this.closed();
  }

  terminate(): void {
    this.terminatedByUs = true;
    this.ws.terminate();
  }

  /**
   * A close is acceptable when its code is in the contract's list, or when it is 1006 after we cut
   * the socket ourselves. Undefined: still open or closed acceptably.
   */
  closeProblem(): string | undefined {
    const c = this.closedWith;
    if (!c) return undefined;
    if (CONTRACT_CLOSE_CODES.has(c.code)) return undefined;
    if (c.code === 1006 && this.terminatedByUs) return undefined;
    return `${this.name}: closed with ${c.code} "${c.reason}" (not a contract close code)`;
  }

  private notify(): void {
    for (const watch of [...this.watchers]) watch();
  }
}
