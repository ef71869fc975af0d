/**
 * The worker's conversation contract on real brokers (the embedded Aedes broker over TCP, with the
 * PGlite store where history must outlive a worker): the 9th turn sees all 16 messages, a worker
 * crash mid-turn is swept by a live worker through its last will, Stop from a second device, a
 * worker that moves to the next broker URL when its node dies without losing or doubling a token,
 * and a worker started from `createServiceAccount`'s account as it is.
 */
import { convertToModelMessages, streamText, type UIMessage, type UIMessageChunk } from 'ai';
import mqtt from 'mqtt';
import { afterEach, describe, expect, test } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/index.js';
import { createChatWorker, createServiceAccount, type ChatWorker } from '../../src/server/index.js';
import { createPgliteChatStore } from '../../src/server/store/pglite-engine.js';
import { createMemoryChatStore } from '../../src/server/store/memory-chat-store.js';
import type { ChatStore } from '../../src/server/store/chat-store.js';
import { createScriptedModel, scriptedChunkStream, tokenize } from '../../src/testing/index.js';
import type { MqttClientLike } from '../../src/transport/mqtt-client.js';
import { ProtocolClient, userText } from '../helpers/protocol-client.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function broker(options: Parameters<typeof startEmbeddedBroker>[0] = {}): Promise<EmbeddedBroker> {
  const started = await startEmbeddedBroker({ port: 0, wsPort: 0, ...options });
  cleanups.push(() => started.close().catch(() => undefined));
  return started;
}

async function pglite(): Promise<ChatStore> {
  const store = await createPgliteChatStore(); // in memory: this test needs SQL, not a directory
  cleanups.push(() => store.close());
  return store;
}

async function device(url: string, userId: string, clientId: string, chatId: string): Promise<ProtocolClient> {
  const client = await mqtt.connectAsync(url, { clientId, reconnectPeriod: 0 });
  cleanups.push(() => client.endAsync(true));
  const protocol = new ProtocolClient(client as unknown as MqttClientLike, userId, clientId);
  await protocol.open(chatId);
  return protocol;
}

async function worker(options: Parameters<typeof createChatWorker>[0]): Promise<ChatWorker> {
  const started = await createChatWorker({ rateLimit: false, ...options });
  cleanups.push(() => started.close());
  return started;
}

const text = (message: UIMessage) => message.parts.map((part) => (part.type === 'text' ? part.text : '')).join('');

describe('conversations on the embedded broker', () => {
  test('PGlite store: 8 turns, then the 9th model call receives all 16 messages, in order, with the same ids', async () => {
    const embedded = await broker();
    const store = await pglite();
    const model = createScriptedModel({ texts: Array.from({ length: 9 }, (_, i) => `answer ${i + 1}`) });
    await worker({ url: embedded.mqttUrl, store, handler: async ({ messages, abortSignal }) => streamText({ model, messages: await convertToModelMessages(messages), abortSignal }) });
    const tab = await device(embedded.mqttUrl, 'ann', 'ann-tab', 'c1');
    const sent: UIMessage[] = [];
    for (let i = 1; i <= 9; i++) {
      const message = userText(`question ${i}`);
      sent.push(message);
      const requestId = await tab.send('c1', { messages: [message] });
      expect((await tab.finalStatus('c1', requestId)).state).toBe('done');
    }
    const prompt = model.calls[8].prompt;
    expect(prompt.map((message) => message.role)).toEqual([...Array.from({ length: 8 }, () => ['user', 'assistant']).flat(), 'user']);
    expect(prompt.filter((message) => message.role === 'user').map((message) => (message.content as Array<{ text: string }>)[0].text)).toEqual(sent.map(text));
    const stored = (await store.loadMessages({ userId: 'ann', chatId: 'c1' })).messages;
    expect(stored).toHaveLength(18);
    expect(stored.filter((entry) => entry.message.role === 'user').map((entry) => entry.message.id)).toEqual(sent.map((message) => message.id));
    // PGlite (WASM Postgres) starts and queries slowly on a loaded 2-core machine: a harness budget, not a product timeout.
  }, 240_000);

  test('a worker dies mid-turn: its last will lets a live worker mark the turn failed for every device; the history stays', async () => {
    const embedded = await broker();
    const store = createMemoryChatStore();
    const tab = await device(embedded.mqttUrl, 'ann', 'ann-tab', 'c1');
    const first = await worker({ url: embedded.mqttUrl, workerId: 'svc-a', store, sharedSubscriptions: 'off', handler: ({ abortSignal }) => scriptedChunkStream({ text: 'the first answer', signal: abortSignal }) });
    const done = await tab.send('c1', { messages: [userText('first question')] });
    await tab.finalStatus('c1', done);
    await first.close();
    // The dying worker: its turn never ends, then its process is gone without a DISCONNECT.
    const dying = await createChatWorker({ url: embedded.mqttUrl, workerId: 'svc-b', store, sharedSubscriptions: 'off', rateLimit: false, drainTimeoutMs: 0, handler: () => new ReadableStream<UIMessageChunk>({ start: (controller) => controller.enqueue({ type: 'start' }) }) });
    const lost = await tab.send('c1', { messages: [userText('second question')] });
    await tab.status('c1', lost, 'thinking');
    (dying.client as unknown as mqtt.MqttClient).end(true);
    cleanups.push(() => dying.close());
    // A live worker sweeps on its heartbeat, once presence says the runner is gone.
    await worker({ url: embedded.mqttUrl, workerId: 'svc-c', store, sharedSubscriptions: 'off', presenceIntervalMs: 100, handler: ({ abortSignal }) => scriptedChunkStream({ text: 'third answer', signal: abortSignal }) });
    const failed = await tab.finalStatus('c1', lost);
    expect(failed.state).toBe('error');
    const stored = (await store.loadMessages({ userId: 'ann', chatId: 'c1' })).messages;
    expect(stored.map((entry) => [text(entry.message), entry.turn?.state])).toEqual([
      ['first question', 'done'],
      ['the first answer', 'done'],
      ['second question', 'error'],
    ]);
    const next = await tab.send('c1', { messages: [userText('third question')] });
    expect((await tab.finalStatus('c1', next)).state).toBe('done');
  });

  test('Stop on device B aborts the model call of the turn device A started; the partial is stored', async () => {
    const embedded = await broker();
    const store = createMemoryChatStore();
    const model = createScriptedModel({ text: Array.from({ length: 300 }, (_, i) => `t${i}`).join(' '), tokenDelayMs: 5 });
    await worker({ url: embedded.mqttUrl, store, handler: async ({ messages, abortSignal }) => streamText({ model, messages: await convertToModelMessages(messages), abortSignal }) });
    const deviceA = await device(embedded.mqttUrl, 'ann', 'ann-a', 'c1');
    const deviceB = await device(embedded.mqttUrl, 'ann', 'ann-b', 'c1');
    const requestId = await deviceA.send('c1', { messages: [userText('go on and on')] });
    await deviceB.until(() => (deviceB.textOf('c1', requestId).split(' ').length > 10 ? true : null), 'ten words on B');
    await deviceB.abort('c1', requestId);
    expect((await deviceA.finalStatus('c1', requestId)).state).toBe('aborted');
    expect((await deviceB.finalStatus('c1', requestId)).state).toBe('aborted');
    expect(model.aborted).toBe(1);
    const stored = (await store.loadMessages({ userId: 'ann', chatId: 'c1' })).messages;
    expect(stored[1].turn?.state).toBe('aborted');
    expect(text(stored[1].message).split(' ').length).toBeLessThan(300);
    expect(text(stored[1].message)).toBe(deviceA.textOf('c1', requestId));
  });
});

describe('several broker URLs', () => {
  test('the node dies mid-turn: the worker moves to the next URL and the turn completes exactly, no token lost or doubled', async () => {
    const nodeA = await broker();
    const nodeB = await broker();
    const answer = Array.from({ length: 120 }, (_, i) => `tok${i}`).join(' ');
    const started = await worker({ urls: [nodeA.mqttUrl, nodeB.mqttUrl], handler: ({ abortSignal }) => scriptedChunkStream({ text: answer, tokenDelayMs: 10, signal: abortSignal }) });
    const onA = await device(nodeA.mqttUrl, 'ann', 'ann-a', 'c1');
    const onB = await device(nodeB.mqttUrl, 'ann', 'ann-b', 'c1');
    const requestId = await onA.send('c1', { messages: [userText('long answer please')] });
    await onA.until(() => (onA.textOf('c1', requestId).split(' ').length >= 20 ? true : null), 'twenty tokens on node A');
    await nodeA.close();
    // The turn ends on node B; what was published before the move is replayed from the worker's log.
    const final = await onB.finalStatus('c1', requestId);
    expect(final.state).toBe('done');
    await onB.replay('c1', requestId, 0, final.lastSeq + 1);
    await onB.until(() => (onB.chunksOf('c1', requestId).length === final.lastSeq + 1 ? true : null), 'every sequence');
    expect(onB.textOf('c1', requestId)).toBe(answer);
    expect(onB.chunksOf('c1', requestId).filter((chunk) => chunk.type === 'text-delta')).toHaveLength(tokenize(answer).length);
    expect(started.stats.served).toBe(1);
  });
});

describe('service accounts', () => {
  test('createChatWorker({ account }) connects with the account exactly as createServiceAccount returns it', async () => {
    const account = createServiceAccount('worker-1');
    const embedded = await broker({ auth: { jwtSecret: 'x'.repeat(32), serviceAccounts: [account] } });
    const started = await worker({ url: embedded.mqttUrl, account, handler: () => scriptedChunkStream({ text: 'hi' }) });
    expect(started.workerId).toBe(account.clientId);
    expect(started.client.connected).toBe(true);
  });
});
