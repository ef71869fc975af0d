/**
 * End-to-end tests: `npm run test:e2e`. Node runs the tests; each starts the demo stack and
 * drives Debian's Chromium (`/usr/bin/chromium`, or CHROMIUM_PATH) through playwright-core.
 */
import { defineConfig } from 'vitest/config';
import { resolve } from 'node:path';

export default defineConfig({
  root: resolve(import.meta.dirname, '../..'),
  test: {
    name: 'e2e',
    include: ['test/e2e/**/*.e2e.test.ts'],
    environment: 'node',
    // One browser and one demo stack per file; files run one at a time (ports, CPU).
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
