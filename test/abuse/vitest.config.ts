/**
 * The abuse stage: while a victim runs turns, an attacker performs each broker-side attack of
 * issue 14 against the embedded broker and the real worker (each in its own process). One file,
 * run alone: it loads the machine on purpose. Prints a table and writes bench/results/abuse.json.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'abuse',
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/abuse/**/*.abuse.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
