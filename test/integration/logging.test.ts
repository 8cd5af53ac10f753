import { describe, expect, it } from 'vitest';
import { Packet } from '../../src/protocol/pubkeeper/packets.js';
import { closed } from '../helpers/frames.js';
import { captureLogger, startTestServer } from '../helpers/server.js';
import { baseClaims, signedWith } from '../helpers/tokens.js';

describe('logging', () => {
  it('writes pino JSON with a child logger per session, and never a token', async () => {
    const { logger, lines } = captureLogger('debug');
    const t = await startTestServer({ logger, config: { maxAuthFailures: 2 } });
    const good = t.keys.mint('alice');
    const expired = signedWith(t.keys.dir, baseClaims({ exp: Math.floor(Date.now() / 1000) - 5 }));
    const c = await t.client('alice');
    await c.authenticate(good); // refresh
    await c.registerBrewer('a.b', { uuid: 'u', token: good }); // even a token-looking field in a brewer
    await c.close();
    const bad = await t.connect();
    bad.send(Packet.AUTHENTICATE, { token: expired });
    bad.send(Packet.AUTHENTICATE, { token: expired });
    await closed(bad);
    await t.server.drain();
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries.length).toBeGreaterThan(3);
    const sessionEntries = entries.filter((e) => typeof e.session === 'string');
    expect(sessionEntries.length).toBeGreaterThan(0);
    expect(sessionEntries.every((e) => e.dialect === 'pubkeeper-json')).toBe(true);
    expect(sessionEntries.some((e) => e.sub === 'alice')).toBe(true);
    for (const token of [good, expired]) {
      for (const part of token.split('.').filter((p) => p.length > 10)) expect(lines.join('')).not.toContain(part);
    }
  });
});
