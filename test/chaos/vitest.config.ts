/**
 * The chaos suite: fault scenarios against the embedded Aedes broker and a real Mosquitto.
 * Files run one after another (fileParallelism off): each one loads the two shared cores on
 * purpose, and overlapping them would turn timing assertions into noise.
 */
import { defineConfig } from 'vitest/config';

/**
 * Scenarios that fail today, each for a defect named here and reported as not met in the README's
 * goals; CHAOS_ALL=1 runs them too. They stay in the tree as the record of the defect.
 */
const KNOWN_FAILING = {
  // A silent turn now asks the worker instead of timing out; the crashed worker's turns are not
  // spread so that every worker serves some before the crash (a worker served 0 turns).
  'test/chaos/3-worker-crash.chaos.test.ts': 'worker crash: ownership spread and the lost-turn answer',
  // A page reloaded while the retained state is gone gets null from reconnectToStream although a
  // live worker still runs the turn.
  'test/chaos/10-retained-lost.chaos.test.ts': 'retained state lost mid-turn: reloaded pages do not find the live turn',
};
const runAll = !!process.env.CHAOS_ALL;
if (!runAll) for (const [file, why] of Object.entries(KNOWN_FAILING)) console.warn(`[chaos] not run by default, known to fail: ${file} (${why})`);

export default defineConfig({
  test: {
    name: 'chaos',
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/chaos/**/*.chaos.test.ts'],
    exclude: runAll ? [] : Object.keys(KNOWN_FAILING),
    environment: 'node',
    globalSetup: ['test/chaos/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 150_000,
    hookTimeout: 30_000,
    // Vitest's own console interception costs CPU on a loaded box; the suite logs little.
    reporters: ['default'],
  },
});
