import { describe, expect, it } from 'vitest';
import { parseRights, type Grants } from '../../../src/core/auth/rights.js';
import { compilePattern, type Pattern } from '../../../src/core/topics/pattern.js';
import { parseTopic } from '../../../src/protocol/topic.js';

function grants(rights: unknown[]): Grants {
  const parsed = parseRights(rights);
  if (!parsed.ok) throw new Error(`rights refused: ${parsed.error.message}`);
  return parsed.value;
}

function pattern(source: string): Pattern {
  const parsed = parseTopic(source, { wildcards: true });
  if (!parsed.ok) throw new Error(`bad test pattern ${source}`);
  return compilePattern(source, parsed.value);
}

const topic = (source: string): string[] => source.split('.');

describe('parseRights: forms', () => {
  it('an empty array grants nothing', () => {
    const g = grants([]);
    expect(g.all).toBe(false);
    expect(g.admin).toBe(false);
    expect(g.hasInventoryRight).toBe(false);
    expect(g.canBrew(topic('a'))).toBe(false);
    expect(g.canSubscribe(pattern('a'))).toBe(false);
    expect(g.canSend('pcp://a/agent')).toBe(false);
    expect(g.canSeeInventory('pcp://a/agent')).toBe(false);
    expect(g.describe()).toEqual([]);
  });

  it('brew:<pattern> grants brewing on matching literal topics only', () => {
    const g = grants(['brew:sensors.*.temp']);
    expect(g.canBrew(topic('sensors.kitchen.temp'))).toBe(true);
    expect(g.canBrew(topic('sensors.kitchen.humidity'))).toBe(false);
    expect(g.canSubscribe(pattern('sensors.kitchen.temp'))).toBe(false);
  });

  it('subscribe:<pattern> grants subscribing, not brewing', () => {
    const g = grants(['subscribe:a.b']);
    expect(g.canSubscribe(pattern('a.b'))).toBe(true);
    expect(g.canBrew(topic('a.b'))).toBe(false);
  });

  it('send:<uri pattern> and inventory:<uri pattern>', () => {
    const g = grants(['send:pcp://*/agent', 'inventory:pcp://host/*']);
    expect(g.canSend('pcp://alice/agent')).toBe(true);
    expect(g.canSend('pcp://alice/controller')).toBe(false);
    expect(g.canSeeInventory('pcp://host/agent')).toBe(true);
    expect(g.canSeeInventory('pcp://other/agent')).toBe(false);
    expect(g.hasInventoryRight).toBe(true);
  });

  it('admin:*', () => {
    const g = grants(['admin:*']);
    expect(g.admin).toBe(true);
    expect(g.all).toBe(false);
    expect(g.canBrew(topic('a'))).toBe(false);
  });

  it('"all" grants every right', () => {
    const g = grants(['all']);
    expect(g.all).toBe(true);
    expect(g.admin).toBe(true);
    expect(g.hasInventoryRight).toBe(true);
    expect(g.canBrew(topic('any.topic'))).toBe(true);
    expect(g.canSubscribe(pattern('**'))).toBe(true);
    expect(g.canSend('pcp://x/y')).toBe(true);
    expect(g.canSeeInventory('pcp://x/y')).toBe(true);
    expect(g.describe()).toEqual(['all']);
  });

  it('object right: read ⇒ subscribe, write ⇒ brew', () => {
    const read = grants([{ topic: 'a.*', read: true, write: false }]);
    expect(read.canSubscribe(pattern('a.b'))).toBe(true);
    expect(read.canBrew(topic('a.b'))).toBe(false);

    const write = grants([{ topic: 'a.*', read: false, write: true }]);
    expect(write.canBrew(topic('a.b'))).toBe(true);
    expect(write.canSubscribe(pattern('a.b'))).toBe(false);

    const both = grants([{ topic: 'a.*', read: true, write: true }]);
    expect(both.describe()).toEqual(['subscribe:a.*', 'brew:a.*']);
  });

  it('object right: an absent flag is false', () => {
    const g = grants([{ topic: 'a', write: true }]);
    expect(g.canBrew(topic('a'))).toBe(true);
    expect(g.canSubscribe(pattern('a'))).toBe(false);
    expect(grants([{ topic: 'a' }]).describe()).toEqual([]);
  });

  it('describe() normalizes wildcard runs and drops duplicates', () => {
    const g = grants(['subscribe:a.**.*', 'subscribe:a.*.**', { topic: 'a.b', write: true }, 'brew:a.b']);
    expect(g.describe()).toEqual(['subscribe:a.*.**', 'brew:a.b']);
  });
});

describe('parseRights: invalid rights refuse the whole token', () => {
  it.each([
    ['an unknown action', 'publish:a.b'],
    ['no colon', 'brew'],
    ['an unknown bare word', 'xyz'],
    ['an empty pattern', 'brew:'],
    ['an empty segment', 'brew:a..b'],
    ['a partial wildcard', 'subscribe:a.b*'],
    ['whitespace in a topic', 'brew:a b'],
    ['a topic URI where a PCP URI is needed', 'send:a.b'],
    ['a partial URI glob', 'send:pcp://a*/agent'],
    ['admin on a pattern', 'admin:a.b'],
    ['a number', 42],
    ['null', null],
    ['an array', ['brew:a']],
    ['an object without topic', { read: true }],
    ['an object with a bad topic', { topic: 'a..b', read: true }],
    ['an object with a non-boolean flag', { topic: 'a', read: 'yes' }],
    ['an object with an unknown key', { topic: 'a', writ: true }],
    ['"ALL" in the wrong case', 'ALL'],
  ])('%s', (_label, right) => {
    const parsed = parseRights(['brew:ok', right]);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.code).toBe('UNAUTHENTICATED');
    expect(parsed.error.detail).toBe(`invalid rights: ${JSON.stringify(right)} is not a valid right`);
  });

  it('a non-array claim', () => {
    const parsed = parseRights('all');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.detail).toBe('invalid rights: must be an array');
  });

  it('cuts a long bad right short in the detail', () => {
    const parsed = parseRights([`nope:${'x'.repeat(500)}`]);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.message.length).toBeLessThan(150);
  });
});

describe('canBrew', () => {
  it('matches ** as zero or more segments', () => {
    const g = grants(['brew:a.**.z']);
    expect(g.canBrew(topic('a.z'))).toBe(true);
    expect(g.canBrew(topic('a.b.c.z'))).toBe(true);
    expect(g.canBrew(topic('a.b'))).toBe(false);
  });

  it('any one of several rights is enough', () => {
    const g = grants(['brew:x', 'brew:y.*']);
    expect(g.canBrew(topic('x'))).toBe(true);
    expect(g.canBrew(topic('y.1'))).toBe(true);
    expect(g.canBrew(topic('z'))).toBe(false);
  });
});

describe('canSubscribe: a right must cover the pattern', () => {
  it('subscribe:a.* allows a.b and a.*, refuses a.** and a.b.c', () => {
    const g = grants(['subscribe:a.*']);
    expect(g.canSubscribe(pattern('a.b'))).toBe(true);
    expect(g.canSubscribe(pattern('a.*'))).toBe(true);
    expect(g.canSubscribe(pattern('a.**'))).toBe(false);
    expect(g.canSubscribe(pattern('a.b.c'))).toBe(false);
    expect(g.canSubscribe(pattern('*.b'))).toBe(false);
  });

  it('subscribe:** allows everything', () => {
    const g = grants(['subscribe:**']);
    for (const p of ['a', 'a.b.c', '*', '**', 'a.**.z', '*.*.**']) {
      expect(g.canSubscribe(pattern(p))).toBe(true);
    }
  });

  it('object read rights cover the same way', () => {
    const g = grants([{ topic: 'a.**', read: true }]);
    expect(g.canSubscribe(pattern('a.**'))).toBe(true);
    expect(g.canSubscribe(pattern('**'))).toBe(false);
  });
});

describe('canSend', () => {
  it('send:pcp://*/agent allows any agent and no other type', () => {
    const g = grants(['send:pcp://*/agent']);
    expect(g.canSend('pcp://node1/agent')).toBe(true);
    expect(g.canSend('pcp://node1/controller')).toBe(false);
    expect(g.canSend('pcp:///server')).toBe(false);
    expect(g.canSend('not a uri')).toBe(false);
  });
});
