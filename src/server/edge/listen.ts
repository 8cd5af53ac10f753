import type { AddressInfo } from 'node:net';
import type { Listener } from './listener.js';

/** Listens, and rejects with the listen error (a port in use) instead of emitting it. */
export async function listen(http: Listener, port: number, host: string): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  return http.address() as AddressInfo;
}

/** Stops listening and drops every connection left, keep-alive ones included. */
export function closeHttp(http: Listener): Promise<void> {
  return new Promise((resolve) => {
    http.close(() => resolve());
    http.closeAllConnections();
  });
}
