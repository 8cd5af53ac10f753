import { describe, expect, it } from 'vitest';
import {
  SUBJECT_PATTERN,
  formatPcpUri,
  isServerUri,
  matchesPcpUri,
  parsePcpUri,
  parsePcpUriPattern,
  type PcpUriPattern,
} from '../../../src/protocol/pcpUri.js';

function pattern(source: string): PcpUriPattern {
  const parsed = parsePcpUriPattern(source);
  if (parsed === null) throw new Error(`test pattern ${source} does not parse`);
  return parsed;
}

describe('parsePcpUri', () => {
  it('parses a client URI into name and type', () => {
    expect(parsePcpUri('pcp://alice/agent')).toEqual({ name: 'alice', type: 'agent' });
    expect(parsePcpUri('pcp://a.b@c-d_e/x.y-z_1')).toEqual({ name: 'a.b@c-d_e', type: 'x.y-z_1' });
  });

  it('keeps type "server" parseable: refusing it is the upgrade handler\'s job (403, not 400)', () => {
    expect(parsePcpUri('pcp://alice/server')).toEqual({ name: 'alice', type: 'server' });
  });

  it.each([
    ['the broker URI', 'pcp:///server'],
    ['no type', 'pcp://alice'],
    ['empty type', 'pcp://alice/'],
    ['too many slashes', 'pcp://test/with/too_many_slashes'],
    ['wrong scheme', 'http://alice/agent'],
    ['a wildcard name', 'pcp://*/agent'],
    ['a wildcard type', 'pcp://alice/*'],
    ['a space in the name', 'pcp://al ice/agent'],
    ['@ in the type', 'pcp://alice/a@b'],
    ['a 129-char name', `pcp://${'a'.repeat(129)}/agent`],
    ['a 65-char type', `pcp://alice/${'t'.repeat(65)}`],
    ['a trailing newline', 'pcp://alice/agent\n'],
    ['a non-string', 42],
  ])('refuses %s', (_label, value) => {
    expect(parsePcpUri(value)).toBeNull();
  });

  it('accepts the longest name and type', () => {
    const uri = `pcp://${'a'.repeat(128)}/${'t'.repeat(64)}`;
    expect(parsePcpUri(uri)).not.toBeNull();
  });

  it('formats what it parses', () => {
    expect(formatPcpUri('alice', 'agent')).toBe('pcp://alice/agent');
  });
});

describe('isServerUri', () => {
  it('recognizes only pcp:///server', () => {
    expect(isServerUri('pcp:///server')).toBe(true);
    expect(isServerUri('pcp://server')).toBe(false);
    expect(isServerUri('pcp://x/server')).toBe(false);
  });
});

describe('SUBJECT_PATTERN', () => {
  it('matches a whole sub only', () => {
    expect(SUBJECT_PATTERN.test('alice@example.com')).toBe(true);
    expect(SUBJECT_PATTERN.test('a'.repeat(128))).toBe(true);
    expect(SUBJECT_PATTERN.test('a'.repeat(129))).toBe(false);
    expect(SUBJECT_PATTERN.test('')).toBe(false);
    expect(SUBJECT_PATTERN.test('a/b')).toBe(false);
    expect(SUBJECT_PATTERN.test('a b')).toBe(false);
  });
});

describe('parsePcpUriPattern / matchesPcpUri', () => {
  it('accepts * as a whole name or type part', () => {
    expect(parsePcpUriPattern('pcp://*/agent')).toEqual({ name: '*', type: 'agent', source: 'pcp://*/agent' });
    expect(parsePcpUriPattern('pcp://host/*')).toEqual({ name: 'host', type: '*', source: 'pcp://host/*' });
    expect(parsePcpUriPattern('pcp://*/*')).not.toBeNull();
  });

  it.each(['pcp://a*/agent', 'pcp://*/ag*', 'pcp://**/agent', 'pcp:///server', 'pcp://*', 'pcp://*/a/b'])(
    'refuses %s',
    (source) => {
      expect(parsePcpUriPattern(source)).toBeNull();
    },
  );

  it('pcp://*/agent matches every agent and nothing else', () => {
    const p = pattern('pcp://*/agent');
    expect(matchesPcpUri(p, 'pcp://alice/agent')).toBe(true);
    expect(matchesPcpUri(p, 'pcp://bob/agent')).toBe(true);
    expect(matchesPcpUri(p, 'pcp://alice/controller')).toBe(false);
    expect(matchesPcpUri(p, 'pcp://alice/agents')).toBe(false);
  });

  it('pcp://host/* matches every type of one name', () => {
    const p = pattern('pcp://host/*');
    expect(matchesPcpUri(p, 'pcp://host/agent')).toBe(true);
    expect(matchesPcpUri(p, { name: 'host', type: 'x' })).toBe(true);
    expect(matchesPcpUri(p, 'pcp://other/agent')).toBe(false);
  });

  it('a literal pattern matches exactly, case-sensitively', () => {
    const p = pattern('pcp://alice/agent');
    expect(matchesPcpUri(p, 'pcp://alice/agent')).toBe(true);
    expect(matchesPcpUri(p, 'pcp://Alice/agent')).toBe(false);
  });

  it('never matches a string that is not a client URI', () => {
    expect(matchesPcpUri(pattern('pcp://*/*'), 'pcp:///server')).toBe(false);
    expect(matchesPcpUri(pattern('pcp://*/*'), 'garbage')).toBe(false);
  });
});
