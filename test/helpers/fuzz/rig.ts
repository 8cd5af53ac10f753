// What every attacker rig provides, and the deep-nesting values of its last phase.
import { deepJson } from './mutators.js';
import type { Rng } from './rng.js';
import { MAX_FRAME_BYTES } from './setup.js';
import type { FuzzSocket } from './socket.js';

// Attackers. Each sends FRAMES frames and then waits on a barrier that the server can only answer
// after it processed all of them; a deep-nesting phase follows, one frame per barrier.

export interface DeepResult {
  rig: string;
  depth: number;
  frame: string;
  internal: boolean;
}

export interface Rig {
  readonly name: string;
  /** Every socket the rig opened, for the final checks. */
  readonly sockets: FuzzSocket[];
  /** Frames answered "Internal error" outside the deep phase (must stay empty). */
  readonly internal: string[];
  readonly deepResults: DeepResult[];
  start(): Promise<void>;
  fuzz(frames: number): Promise<void>;
  deep(): Promise<void>;
  barrier(): Promise<void>;
  /** The socket that should be closed 1009 by a frame past the limit, if the rig keeps one open. */
  readonly main: FuzzSocket | undefined;
}

/**
 * A JSON value nested thousands of levels deep parses, but overflows the stack where the server
 * walks it; that is answered "Invalid payload: nested too deeply" (PCP: "Could not decode…" or
 * that text), never "Internal error", at any depth.
 */
const DEPTHS = [50, 500, 1500, 2500, 5000, 20_000, 100_000];

/** A nested value as JSON text, small enough that a frame around it stays under the limit. */
export function deepValue(rng: Rng): { deep: string; depth: number } | undefined {
  const kind = rng.pick(['array', 'object', 'mixed'] as const);
  const depth = rng.pick(DEPTHS);
  const deep = deepJson(kind, depth);
  // `mixed` nests an array and an object per step: twice the levels.
  return deep.length > MAX_FRAME_BYTES - 2048 ? undefined : { deep, depth: kind === 'mixed' ? 2 * depth : depth };
}
