import { connect as tcpConnect, type Socket } from 'node:net';
import { onTestFinished } from 'vitest';

/**
 * A raw TCP connection from `localAddress` (any 127/8 address is loopback on Linux), whose `ended`
 * resolves when the server drops it. Destroyed when the test ends.
 */
export async function rawSocket(port: number, localAddress = '127.0.0.1'): Promise<Socket & { ended: Promise<void> }> {
  const socket = tcpConnect({ host: '127.0.0.1', port, localAddress });
  onTestFinished(() => void socket.destroy());
  socket.on('error', () => undefined); // a reset by the server is the expected outcome
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return Object.assign(socket, { ended });
}
