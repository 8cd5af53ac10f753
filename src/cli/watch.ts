import WebSocket from 'ws';
import { authenticatedSchema, brewerEventSchema, errorSchema, JSON_SUBPROTOCOL, Packet } from '../protocol/pubkeeper/packets.js';
import { tokenFlag, urlFlag } from './clientFlags.js';
import type { CliIo } from './io.js';
import type { FlagValues } from './options.js';
import { DEFAULT_SERVER_URL, serverBaseUrl, withPath } from './serverUrl.js';

/** What `watch` waits for: a signal to stop, as a promise (the tests and `main` give `process`). */
export interface Interrupts {
  once(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  off(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
}

/**
 * `pubkeeper watch PATTERN [--url ws://HOST:PORT] [--token JWT] [--json]` (CONTRACT §2): subscribes
 * and prints one line per brewer coming (`+`) or going (`-`), or with `--json` one object per line,
 * until SIGINT or SIGTERM (exit 0). A refused token, a refused pattern, an unreachable server or a
 * closed connection: one line on stderr, exit 1. Every frame the server sends is checked before
 * it is printed.
 */
export function watch(pattern: string, values: FlagValues, io: CliIo, interrupts: Interrupts = process): Promise<number> {
  const token = tokenFlag(values, io);
  const url = withPath(serverBaseUrl(urlFlag(values, io, DEFAULT_SERVER_URL)), '/ws');
  const asJson = values.json === true;

  return new Promise((resolve) => {
    const socket = new WebSocket(url, [JSON_SUBPROTOCOL]);
    let done = false;
    let lastError = '';
    const finish = (code: number, line?: string): void => {
      if (done) return;
      done = true;
      interrupts.off('SIGINT', stop);
      interrupts.off('SIGTERM', stop);
      if (line) io.stderr(`pubkeeper watch: ${line}\n`);
      socket.removeAllListeners('close');
      socket.once('close', () => resolve(code));
      if (socket.readyState === WebSocket.CLOSED) resolve(code);
      else socket.close(1000);
    };
    const stop = (): void => finish(0);
    interrupts.once('SIGINT', stop);
    interrupts.once('SIGTERM', stop);
    socket.on('error', (err) => finish(1, `cannot reach ${url}: ${err.message}`));
    socket.on('close', (code, reason) => finish(1, `the server closed the connection (${code}${reason.length ? ` ${reason.toString()}` : ''})`));
    socket.on('open', () => socket.send(JSON.stringify([Packet.AUTHENTICATE, { token }])));
    let authenticated = false;
    socket.on('message', (data, isBinary) => {
      const frame = isBinary ? undefined : parseFrame(data.toString());
      if (!frame) return finish(1, 'the server sent a frame that is not a PubKeeper JSON frame');
      const [id, payload] = frame;
      if (id === Packet.ERROR) {
        const error = errorSchema.safeParse(payload);
        lastError = error.success ? error.data.message : 'an error';
        // Before authentication an ERROR says why the token is refused; the AUTHENTICATED after it says it is.
        if (authenticated) finish(1, `refused: ${lastError}`);
        return;
      }
      if (id === Packet.AUTHENTICATED) {
        const answer = authenticatedSchema.safeParse(payload);
        if (!answer.success || !answer.data.authenticated) return finish(1, `token refused${lastError ? `: ${lastError}` : ''}`);
        if (authenticated) return;
        authenticated = true;
        socket.send(JSON.stringify([Packet.SUBSCRIBE, { topic: pattern }]));
        return;
      }
      if (id !== Packet.BREWER_NOTIFY && id !== Packet.BREWER_REMOVED) return;
      const event = brewerEventSchema.safeParse(payload);
      if (!event.success) return finish(1, 'the server sent a brewer event that is not one');
      const kind = id === Packet.BREWER_NOTIFY ? 'notify' : 'removed';
      const { topic, brewer } = event.data;
      io.stdout(asJson ? `${JSON.stringify({ event: kind, topic, brewer })}\n` : `${kind === 'notify' ? '+' : '-'} ${topic} ${JSON.stringify(brewer)}\n`);
    });
  });
}

function parseFrame(text: string): [number, unknown] | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.length === 2 && typeof value[0] === 'number' ? [value[0], value[1]] : undefined;
  } catch {
    return undefined;
  }
}
