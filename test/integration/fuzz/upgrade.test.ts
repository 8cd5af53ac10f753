// Fuzzing the HTTP upgrade of both ports: random paths, subprotocols, tokens and headers, and raw
// bytes that are not HTTP at all, with the bystanders of test/helpers/fuzz/bystanders.ts watching.
import { describe, expect, it } from 'vitest';
import { checkBystanders, openBystanders } from '../../helpers/fuzz/bystanders.js';
import { rawExchange, upgradeStatus } from '../../helpers/fuzz/raw.js';
import { Rng } from '../../helpers/fuzz/rng.js';
import { BYSTANDER, makeCtx, SEED, startFuzzServer } from '../../helpers/fuzz/setup.js';
import { eventually } from '../../helpers/relay.js';

describe('fuzz: no input crashes the process or touches another session', () => {
  it('HTTP upgrades: random paths, tokens and headers get a status, never a PCP session without a valid token', async () => {
    const { t, relayPort } = await startFuzzServer();
    const by = await openBystanders(t, relayPort);
    const rng = new Rng(SEED + 200);
    const ctx = makeCtx(t, relayPort, rng);
    const valid = t.keys.mint('fzup', ['send:pcp://fzup/*']);
    // Header values and query strings only carry what HTTP can: printable ASCII (and Latin-1).
    const tokens = [valid, 'é'.repeat(10), ...ctx.unauthTokens.filter((tk) => tk !== ctx.token && tk.length < 4000 && /^[\x20-\x7e]*$/.test(tk))];
    const types = ['agent', 'server', '', 'a'.repeat(65), '%E0%A4%A', '%2e%2e', 'a%2Fb', '..', 'ag%20ent', '%C3%A9', 'a.b-c_d', '*', '%00'];
    const problems: string[] = [];
    for (let i = 0; i < 60; i++) {
      const toRelay = rng.chance(0.2);
      const path = toRelay
        ? rng.pick(['/', '/?x=1', '/ws', '//', '/%2F'])
        : rng.pick([`/pcp/v2.0/${rng.pick(types)}`, `/pcp/v1.0/${rng.pick(types)}`, '/pcp/v3.0/agent', '/pcp/', '/pcp/v2.0/a/b', '/ws', '/ws?token=x', '/', '/pcp']);
      const token = rng.pick(tokens);
      const headers: Record<string, string> = {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': rng.chance(0.9) ? '13' : rng.pick(['8', '', 'x']),
        'Sec-WebSocket-Key': rng.chance(0.9) ? rng.bytes(16).toString('base64') : rng.pick(['short', '']),
      };
      const protocol = rng.pick(['', 'pubkeeper-1.1', 'pubkeeper-1.0', 'pubkeeper.n.io', 'pubkeeper-1.0.0', 'a,,b', 'pubkeeper-1.1, pubkeeper.n.io', 'x', 'v-1.0']);
      if (protocol) headers['Sec-WebSocket-Protocol'] = protocol;
      const place = rng.pick(['header', 'query', 'both', 'none', 'odd'] as const);
      const offered: string[] = [];
      if (place === 'header' || place === 'both') {
        headers.Authorization = `Bearer ${token}`;
        offered.push(token);
      }
      if (place === 'odd') headers.Authorization = rng.pick([`Basic ${token}`, 'Bearer', `bearer  ${token}  `, `Bearer ${token} x`]);
      if (place === 'odd' && headers.Authorization === `bearer  ${token}  `) offered.push(token);
      let fullPath = path;
      if (place === 'query' || place === 'both') {
        fullPath += `${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
        offered.push(token);
      }
      const status = await upgradeStatus(toRelay ? relayPort : t.port, fullPath, headers);
      const label = `${toRelay ? 'relay' : 'main'} ${fullPath.slice(0, 60)} ${place} ${protocol} -> ${status}`;
      const allowed = toRelay ? [101, 400, 404] : [101, 400, 401, 403, 404];
      if (!allowed.includes(status)) problems.push(`unexpected status: ${label}`);
      if (!toRelay && status === 101 && fullPath.startsWith('/pcp/') && !offered.some((tk) => t.server.hub.verify(tk, 'pcp').ok)) {
        problems.push(`a PCP session without a valid token: ${label}`);
      }
    }
    // Raw bytes that are not HTTP at all, on both ports.
    for (let i = 0; i < 10; i++) {
      const head = rng.pick(['', 'GET / HTTP/1.1\r\n', 'GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n', '\r\n\r\n']);
      await rawExchange(rng.chance(0.5) ? t.port : relayPort, Buffer.concat([Buffer.from(head), rng.bytes(rng.int(200))]));
    }
    expect(problems, `(FUZZ_SEED=${SEED + 200})`).toEqual([]);
    await eventually(() => [...t.server.hub.sessions].every((s) => s.sub === BYSTANDER));
    await checkBystanders(t, by, relayPort);
  });
});
