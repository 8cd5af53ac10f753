// The seeded PRNG of the fuzz suite and the hostile strings and numbers it draws from. Everything
// random comes from one seeded PRNG, so a seed names a run exactly: the same seed sends the same
// bytes.
import { seededRandom, type RandomSource } from '../../../src/client/backoff.js';

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
