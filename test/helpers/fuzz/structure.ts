// Structure-aware mutations: each field of a valid message, one at a time, replaced by a value of
// every JSON kind (and by the shapes that broke length checks and prototype lookups elsewhere),
// removed, or joined at its level by keys that shadow Object.prototype's. Each mutation says what
// the server must answer. Messages are written as JSON text by hand, so a `__proto__` key stays
// an own key and `1e400` or 200 levels of nesting reach the server exactly as written.
import type { Rng } from './rng.js';

export type Path = readonly (string | number)[];

/** One value put in place of a field: its JSON text as sent. */
export interface Replacement {
  readonly name: string;
  readonly text: string;
}

const DEEP = 200;
export const SHADOW_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty'] as const;
const SHADOW_VALUES = ['{"polluted":true}', '{"prototype":{"polluted":true}}', '{"polluted":true}', '"x"', 'null', '1'];
/** An object whose own keys are the six names, as JSON text (an object literal would not keep `__proto__`). */
const shadowMembers = SHADOW_KEYS.map((key, i) => `${JSON.stringify(key)}:${SHADOW_VALUES[i] ?? 'null'}`).join(',');

export const REPLACEMENTS: readonly Replacement[] = [
  { name: 'number', text: '42' },
  { name: 'zero', text: '0' },
  { name: 'negative', text: '-1' },
  { name: 'huge', text: '1e308' },
  { name: 'overflowing (Infinity)', text: '1e400' },
  { name: 'unsafe integer', text: '-9007199254740993' },
  { name: 'float', text: '1.5' },
  { name: 'true', text: 'true' },
  { name: 'false', text: 'false' },
  { name: 'null', text: 'null' },
  { name: 'empty string', text: '""' },
  { name: 'long string', text: JSON.stringify('x'.repeat(5000)) },
  { name: 'control characters', text: JSON.stringify('a\u0000\u0001\u001f\u007f\u0085\n\u2028b') },
  { name: '"__proto__"', text: '"__proto__"' },
  { name: 'array', text: '[1,"a",null,{},[]]' },
  { name: 'empty array', text: '[]' },
  { name: 'empty object', text: '{}' },
  { name: '{length: object}', text: '{"length":{"x":1}}' },
  { name: '{length: huge}', text: '{"length":99999999999}' },
  { name: 'prototype keys', text: `{${shadowMembers}}` },
  { name: `${DEEP} nested arrays`, text: '['.repeat(DEEP) + ']'.repeat(DEEP) },
  { name: `${DEEP} nested objects`, text: '{"a":'.repeat(DEEP) + '1' + '}'.repeat(DEEP) },
];

/** Members added to an object: each shadowing key with an object and with a plain value, then all six. */
export const ADDED_KEYS: readonly Replacement[] = [
  ...SHADOW_KEYS.flatMap((key) => [
    { name: `+${key}: {…}`, text: `${JSON.stringify(key)}:{"polluted":true}` },
    { name: `+${key}: 1`, text: `${JSON.stringify(key)}:1` },
  ]),
  { name: '+all six', text: shadowMembers },
];

export type Edit = { readonly path: Path } & ({ readonly kind: 'replace' | 'add'; readonly text: string } | { readonly kind: 'remove' });

/**
 * What the server must answer a mutation with:
 * - `invalid`: a value of the wrong type, or a required field missing: the surface's refusal
 *   ("Invalid payload" naming the field; "Could not decode message" for a PCP envelope; 400);
 * - `same`: a field the server does not interpret: exactly what it answered the valid message;
 * - `valid`: a value of the right type: whatever the contract says, but never an internal error.
 */
export type Expect = 'invalid' | 'same' | 'valid';

export interface Mutation {
  readonly label: string;
  readonly edit: Edit;
  readonly expect: Expect;
}

/** What a message's fields may hold. */
export interface Shape {
  /**
   * Whether `value` is acceptable at `path` (undefined: the key is absent), all other fields
   * being as in the valid message; undefined when the server takes any value there.
   */
  check(path: Path, value: unknown): boolean | undefined;
  /** Objects whose keys are a closed set (PCP envelopes, admin payloads): an added key is refused. */
  closed?(path: Path): boolean;
  /** Paths not to mutate (e.g. a pseudo-root). */
  skip?(path: Path, kind: Edit['kind']): boolean;
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const samePath = (a: Path, b: Path): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
export const showPath = (p: Path): string => (p.length === 0 ? '(root)' : p.join('.'));

/** `value` as JSON text, with `edit` applied. Keys are written in their order; own `__proto__` keys stay keys. */
export function render(value: unknown, edit?: Edit, at: Path = []): string {
  if (edit && edit.kind === 'replace' && samePath(at, edit.path)) return edit.text;
  if (Array.isArray(value)) {
    const items = value.flatMap((item, i) => (edit?.kind === 'remove' && samePath([...at, i], edit.path) ? [] : [render(item, edit, [...at, i])]));
    return `[${items.join(',')}]`;
  }
  if (isRecord(value)) {
    const members = Object.keys(value)
      .filter((key) => !(edit?.kind === 'remove' && samePath([...at, key], edit.path)))
      .map((key) => `${JSON.stringify(key)}:${render(value[key], edit, [...at, key])}`);
    if (edit?.kind === 'add' && samePath(at, edit.path)) members.push(edit.text);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Every path under `value`, root first, depth first, array items included. */
function paths(value: unknown, at: Path = []): Path[] {
  const children = Array.isArray(value) ? value.map((_, i) => i) : isRecord(value) ? Object.keys(value) : [];
  return [at, ...children.flatMap((key) => paths((value as Record<string | number, unknown>)[key], [...at, key]))];
}

function valueAt(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, key) => (v as Record<string | number, unknown> | undefined)?.[key], value);
}

/** A missing key is judged at the key; an array item taken out, as the shorter array. */
function removalVerdict(base: unknown, path: Path, shape: Shape): boolean | undefined {
  const last = path[path.length - 1];
  if (typeof last !== 'number') return shape.check(path, undefined);
  const parent = path.slice(0, -1);
  const array = valueAt(base, parent) as unknown[];
  return shape.check(parent, array.filter((_, i) => i !== last));
}

function expectOf(verdict: boolean | undefined): Expect {
  return verdict === undefined ? 'same' : verdict ? 'valid' : 'invalid';
}

/**
 * Every mutation of `base`: each field (not the root) replaced by each of REPLACEMENTS and
 * removed; each object level (the root included) given each of ADDED_KEYS.
 */
export function mutationsOf(base: unknown, shape: Shape): Mutation[] {
  const out: Mutation[] = [];
  for (const path of paths(base)) {
    const shown = showPath(path);
    if (path.length > 0) {
      if (!shape.skip?.(path, 'replace')) {
        for (const r of REPLACEMENTS) {
          out.push({ label: `${shown} = ${r.name}`, edit: { kind: 'replace', path, text: r.text }, expect: expectOf(shape.check(path, JSON.parse(r.text))) });
        }
      }
      if (!shape.skip?.(path, 'remove')) out.push({ label: `${shown} removed`, edit: { kind: 'remove', path }, expect: expectOf(removalVerdict(base, path, shape)) });
    }
    if (isRecord(valueAt(base, path)) && !shape.skip?.(path, 'add')) {
      const expect: Expect = shape.closed?.(path) ? 'invalid' : 'same';
      for (const k of ADDED_KEYS) out.push({ label: `${shown} ${k.name}`, edit: { kind: 'add', path, text: k.text }, expect });
    }
  }
  return out;
}

/** The edit on a sub-document: its path under `key`, or undefined when it is elsewhere. */
export function under(edit: Edit | undefined, key: string | number): Edit | undefined {
  if (!edit || edit.path[0] !== key) return undefined;
  return { ...edit, path: edit.path.slice(1) };
}

/** A seeded shuffle, so the mutations of different messages interleave the same way for a seed. */
export function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * Does an "Invalid payload" detail name the mutated field? Its first word is a dotted path that is
 * the field, one of its parents, or a field inside the value put there (`brewer.uuid` for a
 * brewer replaced by `{}`).
 */
export function namesField(detail: string, path: Path): boolean {
  const field = (detail.split(' ')[0] ?? '').replace(/:$/, '').split('.');
  const p = path.map(String);
  const n = Math.min(field.length, p.length);
  return field.slice(0, n).every((x, i) => x === p[i]);
}

// Predicates the shapes use.
export const isString = (v: unknown): v is string => typeof v === 'string';
export const isId = (v: unknown): boolean => isString(v) && v.length >= 1 && v.length <= 128;
export const isBrew = (v: unknown): boolean => isRecord(v) && Object.hasOwn(v, 'name') && isId(v.name);
export const isBrewer = (v: unknown): boolean => isRecord(v) && Object.hasOwn(v, 'uuid') && isId(v.uuid);

/** A Shape from a table of dotted paths (`*` for any array index, `` for the root) to what each may hold. */
export function tableShape(
  table: Readonly<Record<string, (v: unknown) => boolean>>,
  options: { closed?: readonly string[]; skip?: Shape['skip'] } = {},
): Shape {
  const key = (path: Path): string => path.map((p) => (typeof p === 'number' ? '*' : p)).join('.');
  return {
    check: (path, v) => (Object.hasOwn(table, key(path)) ? table[key(path)]?.(v) : undefined),
    closed: (path) => options.closed?.includes(key(path)) ?? false,
    ...(options.skip ? { skip: options.skip } : {}),
  };
}

/** How many levels of objects and arrays `v` nests (0 for a scalar). */
export function depthOf(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  return 1 + Math.max(0, ...Object.values(v).map(depthOf));
}
