// Runs every benchmark module in turn. Add a module by adding its import to the list.

interface BenchModule {
  run(): Promise<void>;
}

const modules: ReadonlyArray<() => Promise<BenchModule>> = [
  () => import('./matcher.js'),
  () => import('./patternCost.js'),
  () => import('./fanout.js'),
  () => import('./routing.js'),
  () => import('./authVerify.js'),
];

for (const load of modules) {
  const bench = await load();
  await bench.run();
}
