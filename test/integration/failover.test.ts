/**
 * Failover with real MQTT.js over WebSocket: a transport given several broker URLs moves to the
 * next node when the one it is on dies, keeping its client (listeners, in-flight messages). The
 * two embedded brokers here are independent, each with its own worker; clustered brokers that
 * share state (so a turn in flight survives the move) are issue 12's cluster work.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/index.js';
import { createChatWorker, type ChatWorker } from '../../src/server/index.js';
import { scriptedChunkStream } from '../../src/testing/scripted-model.js';
import { createTransport, runTurn, waitConnected } from '../helpers/chat-harness.js';

const ANSWER = 'failover keeps the conversation going.';
let nodes: EmbeddedBroker[] = [];
let workers: ChatWorker[] = [];

beforeAll(async () => {
  nodes = await Promise.all([0, 1].map(() => startEmbeddedBroker({ port: 0, wsPort: 0 })));
  workers = await Promise.all(
    nodes.map((node) => createChatWorker({ url: node.mqttUrl, handler: ({ abortSignal }) => scriptedChunkStream({ text: ANSWER, signal: abortSignal }), rateLimit: false })),
  );
});

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close()));
  await Promise.all(nodes.map((node) => node.close()));
});

describe('several broker URLs', () => {
  test('the node the transport is on dies: it reconnects to the next URL and turns keep working', async () => {
    const [first, second] = nodes;
    const transport = createTransport({ urls: [first.wsUrl, second.wsUrl], userId: 'fiona', trigger: 'mqtt', connection: { backoff: { initialDelay: 50, maxDelay: 200 } } });
    await waitConnected(transport);
    expect(first.connectedClients()).toBe(2); // the worker and this transport
    expect((await runTurn(transport, 'c-failover', 'before')).text).toBe(ANSWER);

    const cameBack = new Promise<void>((resolve) => {
      let wentDown = false;
      const unsubscribe = transport.connection.subscribe(() => {
        const { status } = transport.connection.getSnapshot();
        if (status !== 'connected') wentDown = true;
        else if (wentDown) {
          unsubscribe();
          resolve();
        }
      });
    });
    await workers[0].close();
    await first.close();
    await cameBack;
    expect(second.connectedClients()).toBe(2);
    expect((await runTurn(transport, 'c-failover', 'after')).text).toBe(ANSWER);
    transport.close();
  });
});
