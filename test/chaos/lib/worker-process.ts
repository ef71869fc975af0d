/**
 * A chat worker in its own process, so a test can crash it for real (SIGKILL: no DISCONNECT, no
 * cleanup, the broker sees the socket die). Reports on stdout, one JSON object per line:
 * `{ "ready": true, "mode": "shared" | "rendezvous" }`, then `{ "served": key }` per turn started.
 *
 * Usage: node --import tsx test/chaos/lib/worker-process.ts <mqttUrl> <workerId> [auto|on|off]
 */
import { startChaosWorker } from './workers.js';

const [url, workerId, shared = 'auto'] = process.argv.slice(2);
const report = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);
const { worker } = await startChaosWorker(url, workerId, { sharedSubscriptions: shared as 'auto' | 'on' | 'off' }, (key, requestId) => report({ served: key, requestId }));
report({ ready: true, mode: worker.stats.mode });
// The parent ends this process with a signal; SIGTERM is the orderly shutdown.
process.on('SIGTERM', () => void worker.close().finally(() => process.exit(0)));
