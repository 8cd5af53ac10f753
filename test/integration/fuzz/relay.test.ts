// Fuzzing the websocket brew relay (the harness and what it checks: test/helpers/fuzz/attack.ts).
import { describe, it } from 'vitest';
import { attack, RIG_NAMES } from '../../helpers/fuzz/attack.js';
import { FRAMES, SEED } from '../../helpers/fuzz/setup.js';

describe('fuzz: no input crashes the process or touches another session', () => {
  it(`relay: ${FRAMES} seeded random and mutated frames`, async () => {
    await attack(['relay'], SEED + RIG_NAMES.indexOf('relay'));
  });
});
