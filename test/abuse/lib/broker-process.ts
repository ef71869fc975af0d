/**
 * The embedded broker as `demo/stack.ts` starts it (JWT browsers, service accounts, default
 * budgets), in a process of its own so its memory is measured alone. Configuration comes in
 * `ABUSE_CONFIG` (JSON); it reports `{ ready, mqttUrl, wsUrl }` over IPC, then serves probes.
 */
import { startEmbeddedBroker } from '../../../src/broker/index.js';
import { sampleMemory, serve } from './child.js';
import type { StageConfig } from './config.js';

const config = JSON.parse(process.env.ABUSE_CONFIG ?? '{}') as StageConfig;
const broker = await startEmbeddedBroker({
  port: 0,
  wsPort: 0,
  auth: { jwtSecret: config.jwtSecret, serviceAccounts: config.serviceAccounts },
  // Dropped connections are the attacks working; the stage counts them in stats().
  log: () => undefined,
});
serve({ memory: sampleMemory, stats: () => broker.stats() });
process.send?.({ ready: true, mqttUrl: broker.mqttUrl, wsUrl: broker.wsUrl });
process.on('SIGTERM', () => void broker.close().finally(() => process.exit(0)));
