// Fuzzing WebSocket framing itself, on every path: bad opcodes, reserved bits, unmasked and lying
// frames, odd close frames, with the bystanders of test/helpers/fuzz/bystanders.ts watching.
import { describe, expect, it } from 'vitest';
import { RELAY_SUBPROTOCOL } from '../../../src/protocol/relay/codec.js';
import { checkBystanders, openBystanders } from '../../helpers/fuzz/bystanders.js';
import { rawWebSocket, u16, wsFrame } from '../../helpers/fuzz/raw.js';
import { Rng } from '../../helpers/fuzz/rng.js';
import { BYSTANDER, SEED, startFuzzServer } from '../../helpers/fuzz/setup.js';
import { CONTRACT_CLOSE_CODES } from '../../helpers/fuzz/socket.js';
import { eventually } from '../../helpers/relay.js';

describe('fuzz: no input crashes the process or touches another session', () => {
  it('raw WebSocket framing: bad opcodes, reserved bits, unmasked and lying frames, odd close frames', async () => {
    const { t, relayPort } = await startFuzzServer();
    const by = await openBystanders(t, relayPort);
    const rng = new Rng(SEED + 300);
    const token = t.keys.mint('fzraw', ['brew:fz.**']);
    const problems: string[] = [];
    for (let i = 0; i < 40; i++) {
      const target = rng.pick([
        { port: t.port, path: '/ws', protocol: '' },
        { port: t.port, path: '/ws', protocol: 'pubkeeper-1.1' },
        { port: t.port, path: `/pcp/v2.0/raw${i}?token=${token}`, protocol: '' },
        { port: t.port, path: `/pcp/v1.0/raw${i}?token=${token}`, protocol: '' },
        { port: relayPort, path: '/', protocol: RELAY_SUBPROTOCOL },
      ]);
      const frames: Buffer[] = [];
      let sentClose: number | undefined;
      for (let n = rng.range(1, 3); n > 0; n--) {
        const kind = rng.int(5);
        if (kind === 0) frames.push(rng.bytes(rng.range(1, 40)));
        else if (kind === 1) {
          const code = rng.pick([1000, 1001, 1002, 1005, 1006, 999, 3000, 4000, 4999, 5000, 65535]);
          const reason = rng.chance(0.5) ? Buffer.from('bye') : Buffer.alloc(0);
          frames.push(wsFrame(rng, 8, Buffer.concat([u16(code), reason])));
          sentClose ??= code;
        } else {
          const opcode = rng.chance(0.6) ? rng.pick([1, 2]) : rng.int(16);
          const payload = rng.chance(0.5) ? Buffer.from('[1,{"token":"x"}]') : rng.bytes(rng.int(140));
          frames.push(wsFrame(rng, opcode, payload, { rsv: rng.chance(0.2) ? rng.range(1, 7) : 0, fin: rng.chance(0.9), masked: rng.chance(0.9), lie: rng.chance(0.15) }));
        }
      }
      const codes = await rawWebSocket(target.port, target.path, target.protocol, Buffer.concat(frames));
      // ws answers a framing violation with 1002 (RFC 6455 §7.4.1) and echoes a client's valid
      // close code; neither is the server's own choice, so both sit beside the contract's list.
      for (const code of codes) {
        if (!CONTRACT_CLOSE_CODES.has(code) && code !== 1002 && code !== sentClose) problems.push(`${target.path.slice(0, 12)}: closed ${code}`);
      }
    }
    expect(problems, `(FUZZ_SEED=${SEED + 300})`).toEqual([]);
    await eventually(() => [...t.server.hub.sessions].every((s) => s.sub === BYSTANDER));
    await checkBystanders(t, by, relayPort);
  });
});
