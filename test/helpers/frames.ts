import type { PubkeeperClient } from '../../src/client/pubkeeperClient.js';
import { nextEvent } from './nextEvent.js';

export type Frame = [number, Record<string, unknown>];

/** Resolves with the next frame matching `pred`; the timeout only bounds a failure. */
export function nextFrame(client: PubkeeperClient, pred: (f: Frame) => boolean = () => true, ms = 5000): Promise<Frame> {
  return nextEvent<Frame>(client, 'frame', pred, ms, 'frame');
}

/**
 * Records every frame from now on. AUTHENTICATED frames are left out unless asked for: the SDK
 * sends an AUTHENTICATE after each request as its barrier, and those answers are noise here.
 */
export function recordFrames(client: PubkeeperClient, options: { includeAuthenticated?: boolean } = {}): Frame[] {
  const frames: Frame[] = [];
  client.on('frame', (f) => {
    if (f[0] !== 2 || options.includeAuthenticated) frames.push(f);
  });
  return frames;
}

/** Resolves with the close code and reason. */
export function closed(client: PubkeeperClient, ms = 5000): Promise<{ code: number; reason: string }> {
  if (client.closed) return Promise.resolve(client.closed);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('not closed in time')), ms);
    client.once('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason });
    });
  });
}

/** Sends a raw frame and resolves with the next ERROR's message. */
export async function errorFor(client: PubkeeperClient, frame: string | Buffer): Promise<string> {
  const answer = nextFrame(client, (f) => f[0] === 99);
  client.sendRaw(frame);
  const [, payload] = await answer;
  return String(payload.message);
}

/** The uuids of the brewers in the frames with packet `id` (12 BREWER_NOTIFY, 13 BREWER_REMOVED), in order. */
export const brewerUuids = (frames: readonly Frame[], id: number): string[] =>
  frames.filter((f) => f[0] === id).map(([, p]) => (p.brewer as { uuid: string }).uuid);

/** Resolves once `done()` holds, checked now and on each frame; the timeout only bounds a failure. */
export async function untilFrames(client: PubkeeperClient, done: () => boolean, ms = 5000): Promise<void> {
  if (!done()) await nextFrame(client, () => done(), ms);
}
