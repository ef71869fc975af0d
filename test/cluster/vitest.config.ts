/**
 * The cluster suite: real multi-node brokers (Aedes + Redis, RabbitMQ, bridged Mosquitto) started
 * and stopped by the tests themselves. Files run one after another: each starts several broker
 * processes, and two RabbitMQ clusters at once would not fit on two shared cores.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'cluster',
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/cluster/**/*.cluster.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 120_000,
    // A RabbitMQ node boots in ~10-20 s on a loaded box; three of them and a join need more.
    hookTimeout: 180_000,
  },
});
