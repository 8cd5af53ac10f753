import { describe, expect, test } from 'vitest';
import { parseTopic, type TopicSyntax } from '../../../src/protocol/topic.js';

const LITERAL: TopicSyntax = { wildcards: false };
const PATTERN: TopicSyntax = { wildcards: true };

function accepted(value: unknown, syntax: TopicSyntax = LITERAL): string[] {
  const result = parseTopic(value, syntax);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(value)} to parse: ${result.error.message}`);
  return result.value;
}

function refusal(value: unknown, syntax: TopicSyntax = LITERAL, field?: string): string {
  const result = field === undefined ? parseTopic(value, syntax) : parseTopic(value, syntax, field);
  if (result.ok) throw new Error(`expected ${JSON.stringify(value)} to be refused`);
  expect(result.error.code).toBe('INVALID_PAYLOAD');
  expect(result.error.message.startsWith('Invalid payload')).toBe(true);
  return result.error.message;
}

const hex = (code: number): string => `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;

describe('parseTopic: shape', () => {
  test('splits on dots', () => {
    expect(accepted('a')).toEqual(['a']);
    expect(accepted('sensors.room-1.temp_C')).toEqual(['sensors', 'room-1', 'temp_C']);
  });

  test.each([123, null, undefined, {}, ['a'], true])('refuses the non-string %j', (value) => {
    expect(refusal(value)).toMatch(/must be a string/);
  });

  test.each(['', '.', 'a.', '.a', 'a..b', '..'])('refuses the empty topic or segment in %j', (value) => {
    refusal(value);
    refusal(value, PATTERN);
  });

  test('names the field in the detail', () => {
    expect(refusal('a..b', PATTERN, 'pattern')).toBe('Invalid payload: pattern has an empty segment');
    expect(refusal(7, LITERAL, 'topics[2]')).toBe('Invalid payload: topics[2] must be a string');
  });

  test('accepts non-ASCII letters, symbols and the invisible characters that are not \\s', () => {
    expect(accepted('température.€.日本.😀')).toEqual(['température', '€', '日本', '😀']);
    // U+200B (zero width space) and U+2060 (word joiner) are not in JS \s, so the contract allows them.
    expect(accepted('a\u200bb.\u2060')).toHaveLength(2);
    expect(accepted('a\u00a1b')).toEqual(['a\u00a1b']);
  });
});

describe('parseTopic: forbidden characters', () => {
  test.each(['a*', '*a', 'a*b', '***', 'a**', '**a'])('refuses `*` inside the segment %j, even in patterns', (segment) => {
    refusal(`x.${segment}`);
    expect(refusal(`x.${segment}`, PATTERN)).toMatch(/forbidden character/);
  });

  const whitespace = [
    0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005,
    0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff,
  ];
  test.each(whitespace.map((code) => [hex(code), code]))('refuses the whitespace %s', (_name, code) => {
    const char = String.fromCodePoint(code);
    for (const value of [`a${char}b`, `${char}a`, `a.${char}`, char]) {
      expect(refusal(value)).toMatch(/forbidden character/);
      refusal(value, PATTERN);
    }
  });

  const controls = [
    ...Array.from({ length: 0x20 }, (_, i) => i),
    ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i),
  ];
  test('refuses every control character U+0000–U+001F and U+007F–U+009F', () => {
    expect(controls).toHaveLength(65);
    for (const code of controls) {
      const value = `a.b${String.fromCodePoint(code)}c`;
      const result = parseTopic(value, PATTERN);
      expect(result.ok, hex(code)).toBe(false);
    }
  });

  test('accepts the characters just outside the control ranges', () => {
    accepted('a\u007e.\u00a1');
    accepted('!"#$%&\'()+,-/:;<=>?@[\\]^_`{|}~');
  });
});

describe('parseTopic: limits', () => {
  test('255 bytes pass, 256 do not', () => {
    expect(accepted('a'.repeat(255))).toHaveLength(1);
    expect(refusal('a'.repeat(256))).toMatch(/longer than 255 bytes/);
    // Both limits at once: 32 segments in exactly 255 bytes.
    expect(accepted(`${'abcdefg.'.repeat(31)}abcdefg`)).toHaveLength(32);
    refusal(`${'abcdefg.'.repeat(31)}abcdefgh`);
  });

  test('counts UTF-8 bytes, not UTF-16 units', () => {
    // é is 2 bytes, € 3, 😀 4 (and 2 UTF-16 units).
    accepted(`${'é'.repeat(127)}a`);
    expect(refusal('é'.repeat(128))).toMatch(/255 bytes/);
    accepted('€'.repeat(85));
    refusal(`${'€'.repeat(85)}a`);
    accepted(`${'😀'.repeat(63)}abc`);
    refusal('😀'.repeat(64));
    refusal(`${'é'.repeat(128)}`, PATTERN);
  });

  test('32 segments pass, 33 do not', () => {
    expect(accepted(Array(32).fill('a').join('.'))).toHaveLength(32);
    expect(refusal(Array(33).fill('a').join('.'))).toMatch(/more than 32 segments/);
    expect(accepted(Array(32).fill('**').join('.'), PATTERN)).toHaveLength(32);
    refusal(Array(33).fill('*').join('.'), PATTERN);
  });
});

describe('parseTopic: wildcards', () => {
  test.each(['*', '**', 'a.*', 'a.**.z', '**.a', '*.*.**'])('a pattern may hold the whole segment wildcards: %s', (value) => {
    expect(accepted(value, PATTERN)).toEqual(value.split('.'));
  });

  test.each(['*', '**', 'a.*', 'a.**.z', '**.a'])('a literal topic refuses %s', (value) => {
    expect(refusal(value, LITERAL)).toMatch(/without wildcards/);
  });
});
