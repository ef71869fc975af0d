/**
 * One Aedes cluster node in its own process, so a test can crash it for real. Prints one JSON
 * line `{ "ready": true, "port": n, "wsPort": n }` once both listeners accept; SIGTERM closes it.
 *
 * Usage: node --import tsx test/helpers/aedes-node-process.ts <redisUrl|-> <port|0> <wsPort|0>
 * (`-`: a single node without Redis, e.g. the benchmark's one-node Aedes in its own process).
 */
import { startEmbeddedBroker } from '../../src/broker/index.js';

const [redisUrl, port, wsPort] = process.argv.slice(2);
const broker = await startEmbeddedBroker({ port: Number(port), wsPort: Number(wsPort), cluster: redisUrl === '-' ? undefined : { redisUrl, heartbeatIntervalMs: 1_000 } });
process.stdout.write(`${JSON.stringify({ ready: true, port: broker.port, wsPort: broker.wsPort })}\n`);
process.on('SIGTERM', () => void broker.close().finally(() => process.exit(0)));
