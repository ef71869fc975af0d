/**
 * The chat store suite (`npm run test:store`): one conformance suite run against the memory store,
 * PGlite in a temp dir and a real PostgreSQL started by the test, plus each adapter's own cases.
 * Files run one after another: PGlite's WASM start-up and a PostgreSQL cluster are both heavy on
 * the shared cores.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'store',
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/store/**/*.test.ts'],
    environment: 'node',
    fileParallelism: false,
    // Opening a PGlite directory is seconds of WASM start-up, and much more on a saturated machine.
    testTimeout: 240_000,
    hookTimeout: 240_000,
  },
});
