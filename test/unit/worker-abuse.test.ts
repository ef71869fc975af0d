/**
 * Issue 14's worker findings, each reproduced through the public API on the mock broker: the
 * attack runs, and the test shows what a victim (or the broker) is spared. Each failed before its fix.
 */
import type { UIMessage, UIMessageChunk } from 'ai';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createChatWorker, publishStreamToMqtt, type ChatTurnHandler, type ChatWorker, type ChatWorkerOptions } from '../../src/server/index.js';
import { DEFAULT_REPLAY_BUDGET } from '../../src/server/turn-publisher.js';
import { createMockBroker, scriptedChunkStream, type MockBroker } from '../../src/testing/index.js';
import { decodeStatus, encodeRequest } from '../../src/transport/envelope.js';
import { publishAsync, type MqttClientLike } from '../../src/transport/mqtt-client.js';
import { ProtocolClient, topics, userText } from '../helpers/protocol-client.js';

let broker: MockBroker;
let worker: ChatWorker | undefined;

afterEach(async () => {
  vi.restoreAllMocks();
  await worker?.close();
  worker = undefined;
  await broker?.close();
});

/** A turn that streams a few chunks, then waits for `release` before it ends. */
function gatedHandler(): { handler: ChatTurnHandler; release: () => void; calls: string[] } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const calls: string[] = [];
  const handler: ChatTurnHandler = ({ requestId }) => {
    calls.push(requestId);
    return new ReadableStream<UIMessageChunk>({
      async start(controller) {
        controller.enqueue({ type: 'start' });
        controller.enqueue({ type: 'text-start', id: 't' });
        controller.enqueue({ type: 'text-delta', id: 't', delta: 'streaming ' });
        await gate;
        controller.enqueue({ type: 'text-delta', id: 't', delta: 'done' });
        controller.enqueue({ type: 'text-end', id: 't' });
        controller.enqueue({ type: 'finish' });
        controller.close();
      },
    });
  };
  return { handler, release, calls };
}

async function start(options: Partial<ChatWorkerOptions> & { handler: ChatTurnHandler }, client: MqttClientLike = broker.connect({ clientId: 'svc-w' })): Promise<ChatWorker> {
  worker = await createChatWorker({ client, workerId: 'svc-w', probeTimeoutMs: 50, ...options });
  return worker;
}

async function device(userId: string, clientId: string, chatId: string): Promise<ProtocolClient> {
  const client = new ProtocolClient(broker.connect({ clientId }), userId, clientId);
  await client.open(chatId);
  return client;
}

const retainedStatus = (userId: string, chatId: string) => {
  const retained = broker.retained(topics.topic({ userId, chatId }, 'status'));
  const decoded = retained ? decodeStatus(retained.payload) : null;
  return decoded?.ok ? decoded.value : null;
};

describe('F2/F4: replay is bounded', () => {
  test('1 500 replay controls for one turn are answered at most the per-client budget', async () => {
    broker = createMockBroker();
    const gated = gatedHandler();
    await start({ handler: gated.handler, rateLimit: false });
    const alice = await device('alice', 'alice-tab', 'c1');
    const requestId = await alice.send('c1', { messages: [userText('hi')] });
    await alice.until(() => (alice.textOf('c1', requestId) === 'streaming ' ? true : null), 'the first delta');
    for (let i = 0; i < 1_500; i++) await alice.replay('c1', requestId, 0);
    gated.release();
    await alice.finalStatus('c1', requestId);
    // Every control reached the worker before the turn ended; only the budget was answered.
    expect(alice.recordOf('c1').replays).toBeGreaterThan(0);
    expect(alice.recordOf('c1').replays).toBeLessThanOrEqual(DEFAULT_REPLAY_BUDGET.perClient);
    expect(alice.textOf('c1', requestId)).toBe('streaming done');
    await expect.poll(() => worker!.stats.replaysRefused).toBeGreaterThanOrEqual(1_500 - DEFAULT_REPLAY_BUDGET.perClient);
  });

  test('a replay names the end of its gap: only the missing chunks are sent', async () => {
    broker = createMockBroker();
    await start({ handler: ({ abortSignal }) => scriptedChunkStream({ text: 'a b c d e f g h', signal: abortSignal }), rateLimit: false });
    const ann = await device('ann', 'ann-tab', 'c1');
    const requestId = await ann.send('c1', { messages: [userText('hi')] });
    await ann.finalStatus('c1', requestId);
    const replayed: number[] = [];
    ann.client.on('message', (topic, payload) => {
      if (topic.endsWith('/replay/ann-tab')) replayed.push(JSON.parse(new TextDecoder().decode(payload)).c.length);
    });
    await ann.replay('c1', requestId, 3, 5);
    await ann.until(() => (replayed.length > 0 ? true : null), 'the replay');
    expect(replayed).toEqual([2]);
  });
});

describe('F3: refused requests leave nothing behind', () => {
  test('500 rate-limited requests on new chats leave no retained message and cost no subscription', async () => {
    broker = createMockBroker();
    const client = broker.connect({ clientId: 'svc-w' });
    const subscribed: string[] = [];
    const subscribe = client.subscribe.bind(client);
    client.subscribe = ((topic: string | string[], ...rest: never[]) => {
      subscribed.push(...(Array.isArray(topic) ? topic : [topic]));
      return (subscribe as (...args: unknown[]) => unknown)(topic, ...rest);
    }) as typeof client.subscribe;
    await start({ handler: () => scriptedChunkStream({ text: 'x' }), rateLimit: { turns: 1, perMs: 3_600_000 } }, client);
    const mallory = await device('mallory', 'm-tab', 'c0');
    const first = await mallory.send('c0', { messages: [userText('the one allowed turn')] });
    await mallory.finalStatus('c0', first);
    const before = subscribed.length;
    const ids: string[] = [];
    for (let i = 1; i <= 500; i++) ids.push(await mallory.send(`c${i}`, { messages: [userText('spam')] }));
    await expect.poll(() => worker!.stats.rateLimited).toBe(500);
    for (let i = 1; i <= 500; i++) {
      expect(broker.retained(topics.topic({ userId: 'mallory', chatId: `c${i}` }, 'status'))).toBeUndefined();
      expect(broker.retained(topics.topic({ userId: 'mallory', chatId: `c${i}` }, 'complete'))).toBeUndefined();
    }
    expect(subscribed.slice(before)).toEqual([]);
  });
});

describe('F9: size is checked before decoding', () => {
  test('a 64 KiB request over a 1 KiB limit is refused without ever being parsed', async () => {
    broker = createMockBroker();
    const handler = vi.fn(() => scriptedChunkStream({ text: 'never' }));
    await start({ handler, rateLimit: false, limits: { maxRequestBytes: 1024 } });
    const ann = await device('ann', 'ann-tab', 'c1');
    const parse = vi.spyOn(JSON, 'parse');
    const requestId = await ann.send('c1', { messages: [userText('x'.repeat(64 * 1024))] });
    const refused = await ann.finalStatus('c1', requestId);
    expect(refused.state).toBe('error');
    expect(refused.error).toMatch(/exceeds 1024/);
    expect(parse.mock.calls.filter(([text]) => typeof text === 'string' && text.length > 1024)).toEqual([]);
    expect(handler).not.toHaveBeenCalled();
  });
});

describe("F11: one user cannot evict another user's request ids", () => {
  test("10 050 requests from mallory do not make carol's re-sent request run again", async () => {
    broker = createMockBroker();
    const calls: string[] = [];
    await start({ handler: ({ userId, abortSignal }) => (calls.push(userId), scriptedChunkStream({ text: 'ok', signal: abortSignal })), rateLimit: { turns: 1, perMs: 3_600_000 } });
    const carol = await device('carol', 'carol-tab', 'c1');
    const message = userText('hello');
    const requestId = await carol.send('c1', { messages: [message] });
    await carol.finalStatus('c1', requestId);
    const mallory = (await device('mallory', 'm-tab', 'c1')).client;
    const payload = (i: number) => encodeRequest({ requestId: `spam${i}`, trigger: 'submit-message', messages: [userText('x', 'u1')] });
    for (let i = 0; i < 10_050; i++) void publishAsync(mallory, topics.topic({ userId: 'mallory', chatId: 'c1' }, 'request'), payload(i), { qos: 0 });
    await expect.poll(() => worker!.stats.received, { timeout: 50_000 }).toBeGreaterThanOrEqual(10_051);
    const before = carol.recordOf('c1').statuses.length;
    await carol.send('c1', { requestId, messages: [message] });
    // The re-send is told how the turn ended, without running it again.
    await carol.until(() => carol.recordOf('c1').statuses.slice(before).find((status) => status.requestId === requestId && status.state === 'done'), 'the answer to the re-send');
    expect(calls.filter((user) => user === 'carol')).toHaveLength(1);
  });
});

describe("F12: a refused request never overwrites a live turn's status", () => {
  test('a rate-limited request during a live turn is answered after it, not retained', async () => {
    broker = createMockBroker();
    const gated = gatedHandler();
    await start({ handler: gated.handler, rateLimit: { turns: 1, perMs: 3_600_000 } });
    const ann = await device('ann', 'ann-tab', 'c1');
    const live = await ann.send('c1', { messages: [userText('first')] });
    await ann.status('c1', live, 'generating');
    const refused = await ann.send('c1', { messages: [userText('second')] });
    await expect.poll(() => worker!.stats.rateLimited).toBe(1);
    // A late joiner now still sees the live turn.
    expect(retainedStatus('ann', 'c1')).toMatchObject({ requestId: live, state: 'generating' });
    gated.release();
    await ann.finalStatus('c1', refused);
    const order = ann.recordOf('c1').statuses.map((status) => `${status.requestId === live ? 'live' : 'refused'}:${status.state}`);
    expect(order.indexOf('refused:error')).toBeGreaterThan(order.indexOf('live:done'));
    expect(retainedStatus('ann', 'c1')).toMatchObject({ requestId: live, state: 'done' });
  });
});

describe('F13: deep nesting', () => {
  test('a request nested 5 000 levels deep is refused before the model, with a final status', async () => {
    broker = createMockBroker();
    const handler = vi.fn(() => scriptedChunkStream({ text: 'never' }));
    await start({ handler, rateLimit: false });
    const ann = await device('ann', 'ann-tab', 'c1');
    const depth = 5_000;
    const deep = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    const requestId = 'deeprequest1';
    const payload = `{"v":1,"r":"${requestId}","t":"submit-message","msgs":[{"id":"u1","role":"user","parts":[{"type":"text","text":"hi"}],"metadata":${deep}}]}`;
    await publishAsync(ann.client, topics.topic({ userId: 'ann', chatId: 'c1' }, 'request'), payload, { qos: 1 });
    const refused = await ann.finalStatus('c1', requestId);
    expect(refused.state).toBe('error');
    expect(refused.error).toMatch(/deeper than 64/);
    expect(handler).not.toHaveBeenCalled();
  });

  test('a turn whose user message cannot be encoded still ends with a final status', async () => {
    broker = createMockBroker();
    const ann = await device('ann', 'ann-tab', 'c1');
    let metadata: unknown = 1;
    for (let i = 0; i < 20_000; i++) metadata = { a: metadata };
    const userMessage: UIMessage = { id: 'u1', role: 'user', parts: [{ type: 'text', text: 'hi' }], metadata };
    const turn = await publishStreamToMqtt(broker.connect({ clientId: 'svc-app' }), { userId: 'ann', chatId: 'c1' }, scriptedChunkStream({ text: 'fine' }), { requestId: 'deepturn1', userMessage });
    expect(turn.state).toBe('done');
    expect((await ann.finalStatus('c1', 'deepturn1')).state).toBe('done');
  });
});
