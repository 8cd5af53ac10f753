// Fuzzing the JSON dialect, on an authenticated session and on unauthenticated ones (the harness
// and what it checks: test/helpers/fuzz/attack.ts).
import { describe, it } from 'vitest';
import { attack, RIG_NAMES, type RigName } from '../../helpers/fuzz/attack.js';
import { FRAMES, SEED } from '../../helpers/fuzz/setup.js';

const SURFACE: RigName[] = ['json', 'json-unauth'];

describe('fuzz: no input crashes the process or touches another session', () => {
  for (const name of SURFACE) {
    it(`${name}: ${FRAMES} seeded random and mutated frames`, async () => {
      await attack([name], SEED + RIG_NAMES.indexOf(name));
    });
  }
});
