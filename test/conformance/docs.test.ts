import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../src/protocol/errors.js';

/**
 * Keeps `protocol/` honest against the tests and the error list (STYLE §2, §4): every rule ID a
 * conformance test uses is documented, every documented rule is tested, `errors.md` has exactly the
 * codes of ERROR_CODES, and every code is produced by some test. Static scans over the files only:
 * nothing here runs the server.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const PROTOCOL = join(ROOT, 'protocol');
const RULE_ID = /\b(?:PK1|PK|PCP)-[A-Z][A-Z0-9]*-\d+\b/g;

function filesUnder(dir: string, keep: (path: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : filesUnder(path, keep);
    return entry.isFile() && keep(path) ? [path] : [];
  });
}

const read = (path: string): string => readFileSync(path, 'utf8');
const rel = (path: string): string => relative(ROOT, path).split(sep).join('/');

/** Every test file but this one: the evidence must come from tests that exercise the server. */
const testFiles = filesUnder(join(ROOT, 'test'), (p) => p.endsWith('.test.ts') && p !== SELF)
  .sort()
  .map((path) => ({ path, text: read(path) }));
const conformanceDir = join(ROOT, 'test', 'conformance') + sep;
const conformanceFiles = testFiles.filter((f) => f.path.startsWith(conformanceDir));
const docs = filesUnder(PROTOCOL, (p) => dirname(p) === PROTOCOL && p.endsWith('.md'))
  .sort()
  .map((path) => ({ path, name: rel(path), text: read(path) }));

/** Lines outside fenced code blocks, so an example frame can never look like a heading. */
function proseLines(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').filter((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

const headings = (markdown: string): { level: number; text: string }[] =>
  proseLines(markdown).flatMap((line) => {
    const m = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    return m?.[1] && m[2] !== undefined ? [{ level: m[1].length, text: m[2] }] : [];
  });

/** Rule IDs a page defines: a heading that starts with the ID, or a line that opens with it in bold. */
function ruleSections(markdown: string): string[] {
  return proseLines(markdown).flatMap((line) => {
    const m = /^(?:#{1,6}\s+|\*\*)((?:PK1|PK|PCP)-[A-Z][A-Z0-9]*-\d+)\b/.exec(line);
    return m?.[1] ? [m[1]] : [];
  });
}

const idsIn = (text: string): Set<string> => new Set(text.match(RULE_ID) ?? []);
const union = (sets: Iterable<Set<string>>): Set<string> => new Set([...sets].flatMap((s) => [...s]));
const sorted = (values: Iterable<string>): string[] => [...values].sort();

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const { text } of headings(markdown)) {
    const plain = text.replace(/`/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = plain.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const m of markdown.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) if (m[1]) out.add(m[1]);
  return out;
}

describe('protocol docs: rule IDs', () => {
  const testedIds = union(conformanceFiles.map((f) => idsIn(f.text)));
  const sections = docs.flatMap((d) => ruleSections(d.text).map((id) => ({ id, doc: d.name })));
  const documentedIds = new Set(sections.map((s) => s.id));

  it('finds the conformance tests and the protocol pages it checks', () => {
    expect(conformanceFiles.length).toBeGreaterThan(0);
    expect(testedIds.size).toBeGreaterThan(0);
    expect(docs.map((d) => d.name)).toContain('protocol/pubkeeper.md');
  });

  it('every rule ID used by a conformance test has a section in protocol/*.md', () => {
    const missing = sorted(testedIds).filter((id) => !documentedIds.has(id));
    expect(missing, 'rule IDs used in test/conformance without a section in protocol/').toEqual([]);
  });

  it('every rule section of protocol/pubkeeper.md is used by a conformance test', () => {
    const pubkeeper = sections.filter((s) => s.doc === 'protocol/pubkeeper.md').map((s) => s.id);
    const untested = pubkeeper.filter((id) => !testedIds.has(id));
    expect(untested, 'rule sections in protocol/pubkeeper.md that no conformance test uses').toEqual([]);
  });

  it('no rule ID has two sections', () => {
    const seen = new Set<string>();
    const twice: string[] = [];
    for (const { id, doc } of sections) {
      if (seen.has(id)) twice.push(`${id} (${doc})`);
      seen.add(id);
    }
    expect(twice).toEqual([]);
  });

  it('every rule ID the pages mention is defined by a section', () => {
    const dangling = docs.flatMap((d) =>
      sorted(idsIn(d.text))
        .filter((id) => !documentedIds.has(id))
        .map((id) => `${d.name}: ${id}`),
    );
    expect(dangling).toEqual([]);
  });

  it('links between the pages point at files and headings that exist', () => {
    const broken: string[] = [];
    for (const doc of docs) {
      for (const line of proseLines(doc.text)) {
        for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) {
          const target = m[1] ?? '';
          if (/^[a-z]+:/i.test(target)) continue; // http:, mailto:
          const [file = '', fragment] = target.split('#', 2);
          const path = file === '' ? doc.path : resolve(PROTOCOL, file);
          if (!existsSync(path)) {
            broken.push(`${doc.name}: ${target} (no such file)`);
          } else if (fragment !== undefined && path.endsWith('.md') && !anchors(read(path)).has(fragment)) {
            broken.push(`${doc.name}: ${target} (no such heading)`);
          }
        }
      }
    }
    expect(broken).toEqual([]);
  });
});

describe('protocol docs: errors.md', () => {
  const errorsDoc = read(join(PROTOCOL, 'errors.md'));
  const codes = Object.keys(ERROR_CODES) as ErrorCode[];
  const sections = headings(errorsDoc)
    .filter((h) => h.level === 2)
    .map((h) => h.text);

  /** The text of `## CODE` up to the next second-level heading. */
  const sectionOf = (code: string): string => {
    const start = errorsDoc.indexOf(`\n## ${code}\n`);
    if (start < 0) return '';
    const end = errorsDoc.indexOf('\n## ', start + 1);
    return errorsDoc.slice(start, end < 0 ? undefined : end);
  };

  it('has a `## CODE` section for every code of ERROR_CODES', () => {
    expect(codes.filter((code) => !sections.includes(code))).toEqual([]);
  });

  it('has no `## X` section that is not a code, and none twice', () => {
    expect(sections.filter((s) => !(codes as string[]).includes(s))).toEqual([]);
    expect(sections.length).toBe(new Set(sections).size);
  });

  it("gives each code its wire text and, for codes that end the session, its close code", () => {
    const wrong = codes.filter((code) => {
      const section = sectionOf(code);
      const entry: { text: string; close?: number } = ERROR_CODES[code];
      if (!section.includes(`**Text:** \`${entry.text}\``)) return true;
      return entry.close === undefined
        ? !/\*\*Session:\*\* survives/.test(section)
        : !section.includes(`closed with **${entry.close}**`);
    });
    expect(wrong).toEqual([]);
  });
});

describe('protocol docs: every error code is exercised by a test', () => {
  interface TestBlock {
    file: string;
    title: string;
    body: string;
  }

  /** Each `it(…)`/`test(…)` call with its title and the text up to the next one. */
  const blocks: TestBlock[] = testFiles.flatMap(({ path, text }) => {
    const calls = [...text.matchAll(/\b(?:it|test)(?:\.\w+)*\(\s*(['"`])((?:\\.|(?!\1)[\s\S])*?)\1/g)];
    return calls.map((call, i) => ({
      file: rel(path),
      title: call[2] ?? '',
      body: text.slice(call.index, calls[i + 1]?.index ?? text.length),
    }));
  });

  /**
   * Several codes share a close code (4001, 1008), so a bare close-code assertion cannot say which
   * of them a test triggered. For those codes a close-code assertion counts only inside a test
   * whose title names the cause. A close code that belongs to one code alone needs no title.
   */
  const CLOSE_TRIGGERS: Partial<Record<ErrorCode, RegExp>> = {
    AUTH_TIMEOUT: /\bauth(?:entication)? timeout\b/i,
    AUTH_FAILED_TOO_OFTEN: /\brefused tokens\b|\bfailed authentications\b/i,
    SLOW_CONSUMER: /\bslow consumer\b/i,
    ERROR_FLOOD: /\berror flood\b|\btoo many errors\b/i,
  };

  const closeOf = (code: ErrorCode): number | undefined => (ERROR_CODES[code] as { close?: number }).close;
  const codes = Object.keys(ERROR_CODES) as ErrorCode[];

  const assertsClose = (body: string, close: number): boolean =>
    new RegExp(`(?:toBe|toEqual|toStrictEqual)\\(\\s*${close}\\s*\\)|\\bcode\\s*:\\s*${close}\\b`).test(body);

  /** Where a test produces the code, or undefined. */
  function evidence(code: ErrorCode): string | undefined {
    const { text } = ERROR_CODES[code];
    // The code's name as a value (`.toBe('LIMIT_EXCEEDED')`), or its wire text, which is also the
    // start of its close reason. Both are case-sensitive: "token expired" (a refused token) is not
    // "Token expired" (the session closed at exp).
    const named = new RegExp(`(['"\`])${code}\\1|ERROR_CODES\\.${code}\\b`);
    for (const file of testFiles) {
      if (named.test(file.text)) return `${rel(file.path)} names ${code}`;
      if (file.text.includes(text)) return `${rel(file.path)} expects "${text}"`;
    }
    const close = closeOf(code);
    if (close === undefined) return undefined;
    const shared = codes.some((other) => other !== code && closeOf(other) === close);
    const trigger = CLOSE_TRIGGERS[code];
    if (shared && !trigger) return undefined;
    const block = blocks.find((b) => assertsClose(b.body, close) && (!trigger || trigger.test(b.title)));
    return block && `${block.file} "${block.title}" asserts close ${close}`;
  }

  it('finds test files to scan', () => {
    expect(testFiles.length).toBeGreaterThan(0);
    expect(blocks.length).toBeGreaterThan(0);
  });

  for (const code of codes) {
    it(`${code} is produced by some test`, () => {
      expect(evidence(code), `no test under test/ produces ${code}`).toBeDefined();
    });
  }
});
