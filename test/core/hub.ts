import { loadConfig } from '../../src/config/load.js';
import type { ConfigKey } from '../../src/config/schema.js';
import { jsonDialect } from '../../src/core/dialects/json/jsonDialect.js';
import { Hub } from '../../src/core/hub.js';
import { silentLogger } from '../../src/core/logger.js';
import { tempKeys } from '../helpers/keys.js';
import { MemoryConnection } from '../helpers/memoryConnection.js';

/** A hub with the test keys, and JSON sessions over in-memory connections. */
export function memoryHub(config: Partial<Record<ConfigKey, string | number>> = {}) {
  const keys = tempKeys();
  const hub = new Hub(loadConfig({ flags: config }), { keys: keys.keys.verification }, silentLogger);
  const open = (sub?: string, rights: unknown[] = ['all']) => {
    const conn = new MemoryConnection();
    const inbound = hub.createSession(jsonDialect, conn, silentLogger);
    const json = { onText: (text: string) => inbound.receive(Buffer.from(text, 'utf8'), false) };
    if (sub) {
      json.onText(JSON.stringify([1, { token: keys.mint(sub, rights) }]));
      conn.frames.length = 0;
    }
    const send = (packet: number, payload: object) => json.onText(JSON.stringify([packet, payload]));
    return { conn, json, session: inbound.session, send };
  };
  return { hub, keys, open };
}
