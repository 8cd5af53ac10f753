// The in-process micro-benchmarks that came before the suite (matcher, pattern cost, encode-once
// fan-out, routing through the core, PXP's data checks), each printing its own ratios. Full runs only.
import type { SuiteBench, SuiteContext } from './context.js';

interface MicroModule {
  run(): Promise<void>;
}

const MODULES: readonly (() => Promise<MicroModule>)[] = [
  () => import('../matcher.js'),
  () => import('../patternCost.js'),
  () => import('../fanout.js'),
  () => import('../routing.js'),
  () => import('../authVerify.js'),
  () => import('../pxpCheck.js'),
];

export const microBench: SuiteBench = {
  name: 'micro',
  title: 'in-process micro-benchmarks of the core (matcher, pattern cost, encode once, routing, token verification, PXP data checks)',
  run: async (context: SuiteContext) => {
    if (context.quick) {
      console.log('  (left out of --quick; run --only micro)');
      return [];
    }
    for (const load of MODULES) {
      const module = await load();
      await module.run();
    }
    return [];
  },
};
