/**
 * The real chat worker (`createChatWorker`, through the chaos suite's scripted handler: the body
 * names the exact answer) with a service account, in a process of its own. Configuration comes in
 * `ABUSE_CONFIG` plus `ABUSE_MQTT_URL`; it reports `{ ready }` over IPC, then serves probes.
 */
import { startChaosWorker } from '../../chaos/lib/workers.js';
import { sampleMemory, serve } from './child.js';
import type { StageConfig } from './config.js';

const config = JSON.parse(process.env.ABUSE_CONFIG ?? '{}') as StageConfig;
const account = config.serviceAccounts[0];
const { worker } = await startChaosWorker(
  process.env.ABUSE_MQTT_URL!,
  account.clientId,
  { username: account.username, password: account.password, rateLimit: undefined, drainTimeoutMs: 2_000, onError: () => undefined },
  undefined,
  false,
);
serve({ memory: sampleMemory, stats: () => ({ ...worker.stats }) });
process.send?.({ ready: true });
process.on('SIGTERM', () => void worker.close().finally(() => process.exit(0)));
