import { describe, expect, it } from 'vitest';
import { parseRights } from '../../../src/core/auth/rights.js';
import type { Identity } from '../../../src/core/auth/verifyToken.js';
import { textFrame } from '../../../src/core/connection.js';
import { silentLogger } from '../../../src/core/logger.js';
import { Session, type PcpEndpoint } from '../../../src/core/sessions/session.js';
import { SessionTable } from '../../../src/core/sessions/sessionTable.js';
import { loadConfig } from '../../../src/config/load.js';
import { MemoryConnection } from '../../helpers/memoryConnection.js';

const limits = loadConfig();
let next = 0;

function session(uri?: string): Session {
  const pcp: PcpEndpoint | undefined = uri === undefined ? undefined : { uri, encode: () => textFrame('') };
  return new Session({
    id: `s${++next}`,
    node: 'n1',
    dialect: 'test',
    encoder: {},
    conn: new MemoryConnection(),
    log: silentLogger,
    limits,
    hooks: { ended: () => undefined, errored: () => undefined, updated: () => undefined, authRefused: () => undefined },
    ...(pcp ? { pcp } : {}),
  });
}

function identity(sub: string, jti?: string): Identity {
  const grants = parseRights([]);
  if (!grants.ok) throw grants.error;
  return { sub, grants: grants.value, tokenLength: 0, tokenDigest: '', ...(jti !== undefined ? { jti } : {}) };
}

describe('core: the session table', () => {
  it('finds sessions by id, by sub and by jti, and follows a refresh to a new jti', () => {
    const table = new SessionTable();
    const a = session();
    const b = session();
    table.add(a);
    table.add(b);
    expect(table.size).toBe(2);
    expect([...table]).toEqual([a, b]);
    expect(table.get(a.id)).toBe(a);
    a.identity = identity('alice', 'j1');
    table.identityChanged(a, undefined);
    b.identity = identity('alice');
    table.identityChanged(b, undefined);
    expect([...table.withSub('alice')]).toEqual([a, b]);
    expect([...table.withJti('j1')]).toEqual([a]);
    const previous = a.identity;
    a.identity = identity('alice', 'j2');
    table.identityChanged(a, previous);
    expect([...table.withJti('j1')]).toEqual([]);
    expect([...table.withJti('j2')]).toEqual([a]);
    expect(table.delete(a)).toBe(true);
    expect(table.delete(a)).toBe(false);
    expect(table.has(a)).toBe(false);
    expect([...table.withSub('alice')]).toEqual([b]);
    expect([...table.withJti('j2')]).toEqual([]);
  });

  it('holds the newest session of a PCP URI; the older one leaving does not remove its successor', () => {
    const table = new SessionTable();
    const older = session('pcp://a/agent');
    const newer = session('pcp://a/agent');
    table.add(older);
    expect(table.atUri('pcp://a/agent')).toBe(older);
    table.add(newer);
    expect(table.atUri('pcp://a/agent')).toBe(newer);
    table.delete(older);
    expect(table.atUri('pcp://a/agent')).toBe(newer);
    table.delete(newer);
    expect(table.atUri('pcp://a/agent')).toBeUndefined();
    expect(table.size).toBe(0);
  });
});
