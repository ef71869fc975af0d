/**
 * A worker given several broker URLs whose node dies moves to the next one under a fresh MQTT
 * client id: a cluster that keeps the old id's session on the dead node (RabbitMQ) otherwise
 * closes every new connection with it. Its worker id, what presence and hand-overs name, stays.
 */
import { afterAll, expect, test } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/index.js';
import { createChatWorker, type ChatWorker } from '../../src/server/index.js';
import { scriptedChunkStream } from '../../src/testing/scripted-model.js';

let nodes: EmbeddedBroker[] = [];
let worker: ChatWorker | undefined;

afterAll(async () => {
  await worker?.close();
  await Promise.all(nodes.map((node) => node.close().catch(() => undefined)));
});

test("the worker's node dies: it reconnects to the next URL under a fresh client id, keeping its worker id", async () => {
  nodes = await Promise.all([0, 1].map(() => startEmbeddedBroker({ port: 0, wsPort: 0 })));
  const [first, second] = nodes;
  worker = await createChatWorker({ urls: [first.mqttUrl, second.mqttUrl], workerId: 'w-move', presenceIntervalMs: 1_000, handler: ({ abortSignal }) => scriptedChunkStream({ text: 'ok', signal: abortSignal }) });
  const options = (worker.client as unknown as { options: { clientId: string } }).options;
  expect(options.clientId).toBe('w-move');
  const moved = new Promise<void>((resolve) => worker!.client.on('connect', () => resolve()));
  await first.close();
  await moved;
  expect(second.connectedClients()).toBe(1);
  expect(options.clientId).toMatch(/^w-move-[A-Za-z0-9_-]{8}$/);
  expect(worker.workerId).toBe('w-move');
});
