// Fuzzing every surface at once, the attackers' frames interleaved (the harness and what it
// checks: test/helpers/fuzz/attack.ts).
import { describe, it } from 'vitest';
import { attack, RIG_NAMES } from '../../helpers/fuzz/attack.js';
import { FRAMES, SEED } from '../../helpers/fuzz/setup.js';

describe('fuzz: no input crashes the process or touches another session', () => {
  it(`every dialect at once: ${FRAMES} frames each, interleaved`, async () => {
    await attack(RIG_NAMES, SEED + 100);
  });
});
