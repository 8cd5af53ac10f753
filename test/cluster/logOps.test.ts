import { describe, expect, it } from 'vitest';
import { parseEntry, parsePatronValue, parseRegistrationValue, parseUriValue } from '../../src/server/cluster/logOps.js';

const brewer = JSON.stringify({ uuid: 'u1', port: 9 });
const canonical = JSON.stringify({ port: 9, uuid: 'u1' });

describe('log ops read from Redis', () => {
  it('turns every op a script writes into a typed op', () => {
    const entry = parseEntry(
      JSON.stringify([
        ['b+', 'a.b', 'u1', brewer, canonical, 'alice', 'n1.x', 's1'],
        ['b-', 'a.b', 'u1'],
        ['r', 'u1', 'alice', 1733000000000],
        ['p+', 'n1.x', 's1', 'a.*', 'p1', '[{"name":"websocket"}]', '[{"name":"websocket"}]'],
        ['p-', 'n1.x', 's1', 'a.*', 'p1'],
        ['u+', 'pcp://a/agent', 'n1.x', 's1'],
        ['u-', 'pcp://a/agent'],
        ['n', 'revoke', '{"jti":"j1"}', 'n2.y'],
        ['n', 'kick', '{"uri":"pcp://a/agent"}', 'n2.y'],
        ['x', 'n3.z'],
      ]),
    );
    if (!('ops' in entry)) throw new Error(entry.error);
    expect(entry.ops.map((op) => op.op)).toEqual(['b+', 'b-', 'r', 'p+', 'p-', 'u+', 'u-', 'n', 'n', 'x']);
    expect(entry.ops[0]).toMatchObject({ topic: 'a.b', segments: ['a', 'b'], brewer: { uuid: 'u1', port: 9 }, sub: 'alice', owner: { node: 'n1.x', session: 's1' } });
    expect(entry.ops[7]).toEqual({ op: 'n', notice: { kind: 'revoke', target: { jti: 'j1' } }, from: 'n2.y' });
  });

  it.each([
    ['not JSON', 'nope'],
    ['not a list', '{"b+":1}'],
    ['an unknown op', '[["zz"]]'],
    ['a wrong arity', '[["b-","a.b"]]'],
    ['a topic with a wildcard', JSON.stringify([['b+', 'a.*', 'u1', brewer, canonical, 's', 'n', 'x']])],
    ['a brewer whose uuid differs', JSON.stringify([['b+', 'a.b', 'u2', brewer, canonical, 's', 'n', 'x']])],
    ['a canonical form that is not the brewer\'s', JSON.stringify([['b+', 'a.b', 'u1', brewer, brewer, 's', 'n', 'x']])],
    ['brews that are not brews', JSON.stringify([['p+', 'n', 's', 'a.*', 'p', '[{"nope":1}]', '[{"nope":1}]']])],
    ['a kick by jti', JSON.stringify([['n', 'kick', '{"jti":"j"}', 'n']])],
    ['a notice target with more keys', JSON.stringify([['n', 'revoke', '{"jti":"j","x":1}', 'n']])],
    ['an empty string', JSON.stringify([['u-', '']])],
    ['a number for a string', JSON.stringify([['b-', 'a.b', 7]])],
  ])('refuses the whole entry for %s', (_what, text) => {
    expect(parseEntry(text)).toHaveProperty('error');
  });

  it('reads the hashes\' values like ops, and refuses what no node writes', () => {
    expect(parseRegistrationValue(JSON.stringify(['a.b', 'u1', brewer, canonical, 'alice', 'n', 's']))).toMatchObject({ op: 'b+', topic: 'a.b' });
    expect(parsePatronValue(JSON.stringify(['n', 's', 'a.*', 'p', '[]', '[]']))).toMatchObject({ op: 'p+', patronId: 'p' });
    expect(parseUriValue('pcp://a/agent', '["n","s"]')).toEqual({ op: 'u+', uri: 'pcp://a/agent', owner: { node: 'n', session: 's' } });
    expect(typeof parseRegistrationValue('[1,2,3]')).toBe('string');
    expect(typeof parseUriValue('pcp://a/agent', 'not json')).toBe('string');
  });
});
