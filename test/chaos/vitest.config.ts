/**
 * The chaos suite: fault scenarios against the embedded Aedes broker and a real Mosquitto.
 * Files run one after another (fileParallelism off): each one loads the two shared cores on
 * purpose, and overlapping them would only make every scenario slower.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'chaos',
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/chaos/**/*.chaos.test.ts'],
    environment: 'node',
    globalSetup: ['test/chaos/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 150_000,
    hookTimeout: 30_000,
    // Vitest's own console interception costs CPU on a loaded box; the suite logs little.
    reporters: ['default'],
  },
});
