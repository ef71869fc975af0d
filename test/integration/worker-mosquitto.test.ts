/**
 * Two workers behind Mosquitto's shared subscription, one chat store: each chat is owned by one
 * worker whichever member the broker hands a request to, every copy of a request runs once, and a
 * turn lookup reaches the worker that holds the turn (live, with its last sequence), then the store.
 */
import type { UIMessageChunk } from 'ai';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createChatWorker, type ChatTurnHandler, type ChatWorker } from '../../src/server/index.js';
import { createMemoryChatStore } from '../../src/server/store/memory-chat-store.js';
import type { TurnLookup } from '../../src/transport/conversation.js';
import type { MqttClientLike } from '../../src/transport/mqtt-client.js';
import { startMosquitto, type MosquittoHandle } from '../helpers/mosquitto.js';
import { ProtocolClient, userText } from '../helpers/protocol-client.js';

let mosquitto: MosquittoHandle;
const workers: ChatWorker[] = [];
const servedBy = new Map<string, string[]>();
let release!: () => void;
let gate = Promise.resolve();

/** Streams one delta, waits for the test's gate, then ends; records which worker served which chat. */
const handlerOf =
  (workerId: string): ChatTurnHandler =>
  ({ chatId }) => {
    servedBy.set(chatId, [...(servedBy.get(chatId) ?? []), workerId]);
    const waitFor = gate;
    return new ReadableStream<UIMessageChunk>({
      async start(controller) {
        controller.enqueue({ type: 'start' });
        controller.enqueue({ type: 'text-start', id: 't' });
        controller.enqueue({ type: 'text-delta', id: 't', delta: `from ${chatId}` });
        await waitFor;
        controller.enqueue({ type: 'text-end', id: 't' });
        controller.enqueue({ type: 'finish' });
        controller.close();
      },
    });
  };

beforeAll(async () => {
  mosquitto = await startMosquitto({ websockets: false });
  const store = createMemoryChatStore();
  for (const workerId of ['svc-one', 'svc-two']) {
    workers.push(await createChatWorker({ url: mosquitto.mqttUrl, workerId, store, rateLimit: false, presenceIntervalMs: 500, handler: handlerOf(workerId) }));
  }
});

afterAll(async () => {
  for (const worker of workers) await worker.close();
  await mosquitto?.stop();
});

async function device(clientId: string, chats: string[]): Promise<ProtocolClient> {
  const client = await mqtt.connectAsync(mosquitto.mqttUrl, { clientId, reconnectPeriod: 0 });
  const protocol = new ProtocolClient(client as unknown as MqttClientLike, 'ann', clientId);
  for (const chat of chats) await protocol.open(chat);
  return protocol;
}

describe('two workers on Mosquitto shared subscriptions', () => {
  test('each chat runs on one worker, copies of a request run once, turn lookups reach the worker holding the turn', async () => {
    expect(workers.map((worker) => worker.stats.mode)).toEqual(['shared', 'shared']);
    const chats = Array.from({ length: 12 }, (_, i) => `chat${i}`);
    const tab = await device('ann-tab', chats);
    gate = new Promise<void>((resolve) => (release = resolve));
    // Every request is sent twice, as a client re-sending an unacknowledged request does.
    const first = new Map<string, string>();
    for (const chat of chats) {
      const message = userText(`hello ${chat}`);
      const requestId = await tab.send(chat, { messages: [message] });
      await tab.send(chat, { requestId, messages: [message] });
      first.set(chat, requestId);
    }
    for (const chat of chats) await tab.status(chat, first.get(chat)!, 'generating');
    for (const chat of chats) {
      const lookup = await tab.result<TurnLookup>({ op: 'turn', chatId: chat, requestId: first.get(chat)! });
      expect(lookup.state === 'live' && lookup.lastSeq).toBeGreaterThanOrEqual(2);
    }
    release();
    for (const chat of chats) expect((await tab.finalStatus(chat, first.get(chat)!)).state).toBe('done');
    for (const chat of chats) {
      expect(await tab.result<TurnLookup>({ op: 'turn', chatId: chat, requestId: first.get(chat)! })).toMatchObject({ state: 'finished', finalState: 'done' });
    }
    // A second turn of every chat runs on the worker that ran the first.
    gate = Promise.resolve();
    for (const chat of chats) {
      const requestId = await tab.send(chat, { messages: [userText(`again ${chat}`)] });
      expect((await tab.finalStatus(chat, requestId)).state).toBe('done');
    }
    for (const chat of chats) {
      const runs = servedBy.get(chat)!;
      expect(runs).toHaveLength(2);
      expect(new Set(runs).size).toBe(1);
    }
    // Both workers took part (12 chats spread over two members).
    expect(new Set([...servedBy.values()].map((runs) => runs[0])).size).toBe(2);
    await (tab.client as unknown as mqtt.MqttClient).endAsync();
  }, 120_000);
});
