/**
 * Issue 14, F2 on the embedded broker: a signed-in user who stops reading her socket and floods
 * replay requests for her own turn must not stall anyone else's turn. The worker answers her
 * within the replay budgets and never waits on her deliveries.
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/index.js';
import { createChatWorker, type ChatWorker } from '../../src/server/index.js';
import { scriptedChunkStream } from '../../src/testing/index.js';
import type { MqttClientLike } from '../../src/transport/mqtt-client.js';
import { ProtocolClient, userText } from '../helpers/protocol-client.js';

const LONG = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');
let broker: EmbeddedBroker;
let worker: ChatWorker;

beforeAll(async () => {
  broker = await startEmbeddedBroker({ port: 0, wsPort: 0 });
  worker = await createChatWorker({ url: broker.mqttUrl, rateLimit: false, handler: ({ body, abortSignal }) => scriptedChunkStream({ text: body.long ? LONG : 'short answer', tokenDelayMs: body.long ? 0 : 2, signal: abortSignal }) });
});

afterAll(async () => {
  await worker?.close();
  await broker?.close();
});

async function device(userId: string, clientId: string, chatId: string) {
  const client = await mqtt.connectAsync(broker.mqttUrl, { clientId, reconnectPeriod: 0 });
  const protocol = new ProtocolClient(client as unknown as MqttClientLike, userId, clientId);
  await protocol.open(chatId);
  return { client, protocol };
}

describe('F2: one slow subscriber', () => {
  test("alice stops reading and floods 1 500 replays of her turn: bob's turns still complete", async () => {
    const alice = await device('alice', 'alice-tab', 'a1');
    const requestId = await alice.protocol.send('a1', { messages: [userText('long please')], body: { long: true } });
    await alice.protocol.finalStatus('a1', requestId);
    // Her socket stops being read: everything the broker sends her piles up.
    (alice.client.stream as unknown as { pause(): void }).pause();
    for (let i = 0; i < 1_500; i++) alice.client.publish('chat/alice/a1/control', JSON.stringify({ v: 1, op: 'replay', r: requestId, s: 0, cid: 'alice-tab' }), { qos: 0 });
    const bob = await device('bob', 'bob-tab', 'b1');
    for (let i = 0; i < 5; i++) {
      const turn = await bob.protocol.turn('b1', `question ${i}`);
      expect(turn.status.state).toBe('done');
      expect(turn.text).toBe('short answer');
    }
    alice.client.end(true);
    await bob.client.endAsync();
  });
});
