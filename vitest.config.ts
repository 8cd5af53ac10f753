import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 15000,
    hookTimeout: 15000,
    // Integration suites each start their own servers on port 0; two cores are plenty.
    pool: 'forks',
  },
});
