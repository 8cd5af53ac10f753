import { loadConfig } from '../../src/config/load.js';
import type { ConfigKey } from '../../src/config/schema.js';
import { Hub } from '../../src/core/hub.js';
import { silentLogger } from '../../src/core/logger.js';
import { JsonSession } from '../../src/core/pubkeeper/jsonSession.js';
import { tempKeys } from '../helpers/keys.js';
import { MemoryConnection } from '../helpers/memoryConnection.js';

/** A hub with the test keys, and JSON sessions over in-memory connections. */
export function memoryHub(config: Partial<Record<ConfigKey, string | number>> = {}) {
  const keys = tempKeys();
  const hub = new Hub(loadConfig({ flags: config }), { keys: keys.keys.verification }, silentLogger);
  const open = (sub?: string, rights: unknown[] = ['all']) => {
    const conn = new MemoryConnection();
    const json = new JsonSession(hub, conn, silentLogger);
    if (sub) {
      json.onText(JSON.stringify([1, { token: keys.mint(sub, rights) }]));
      conn.frames.length = 0;
    }
    const send = (packet: number, payload: object) => json.onText(JSON.stringify([packet, payload]));
    return { conn, json, session: json.session, send };
  };
  return { hub, keys, open };
}
