import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // migrates once: every database test starts from a copy of that (test/support/databases.ts)
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // files are independent (servers on port 0, temporary data directories, a database each) and
    // mostly wait on timers and sockets: two at a time on the 2-core machine
    maxWorkers: 2,
    reporters: ['default'],
  },
});
