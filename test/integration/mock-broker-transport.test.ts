/**
 * The same transport and worker on the in-memory broker of `./testing` (what stories and app
 * tests use): fan-out to a second device, message loss repaired by replay, a stalled consumer,
 * and an app-owned client that reconnects by itself.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { createChatWorker, type ChatWorker } from '../../src/server/index.js';
import { createMockBroker, scriptedChunkStream, type MockBroker } from '../../src/testing/index.js';
import { CloudSignalChatTransport } from '../../src/transport/index.js';
import { readTurn, runTurn, userMessage, waitConnected } from '../helpers/chat-harness.js';

const ANSWER = Array.from({ length: 60 }, (_, i) => `w${i}`).join(' ');
let broker: MockBroker;
let worker: ChatWorker;

async function setup(tokenDelayMs = 2) {
  broker = createMockBroker();
  worker = await createChatWorker({ client: broker.connect({ clientId: 'worker-1' }), handler: ({ abortSignal }) => scriptedChunkStream({ text: ANSWER, tokenDelayMs, signal: abortSignal }), rateLimit: false });
}

const transportOn = (clientId: string, reconnectPeriod = 0) =>
  new CloudSignalChatTransport({ client: broker.connect({ clientId, reconnectPeriod }), userId: 'ann', trigger: 'mqtt', replayRetryMs: 200 });

afterEach(async () => {
  await worker?.close();
  broker?.close();
});

describe('transport on the mock broker', () => {
  test('the worker detects that shared subscriptions are delivered', async () => {
    await setup();
    expect(worker.stats.mode).toBe('shared');
  });

  test('a turn started on one device shows up live on another device of the same user', async () => {
    await setup(10);
    const phone = transportOn('phone');
    const laptop = transportOn('laptop');
    await Promise.all([waitConnected(phone), waitConnected(laptop)]);
    const watch = laptop.chat('c1');
    const release = watch.acquire();
    const turn = runTurn(phone, 'c1', 'from the phone');
    await expect.poll(() => watch.store.getSnapshot().turnState).toBe('generating');
    const snapshot = watch.store.getSnapshot();
    expect(snapshot.startedHere).toBe(false);
    expect(snapshot.userMessage?.parts).toEqual([{ type: 'text', text: 'from the phone' }]);
    const follow = await laptop.reconnectToStream({ chatId: 'c1' });
    expect((await readTurn(laptop, 'c1', follow!)).text).toBe(ANSWER);
    expect((await turn).text).toBe(ANSWER);
    await expect.poll(() => watch.store.getSnapshot().turnState).toBe('done');
    release();
    phone.close();
    laptop.close();
  });

  test('10% of stream messages lost between broker and client: replay repairs every turn', async () => {
    await setup();
    let n = 0;
    broker.dropMessages((topic, _payload, to) => to === 'lossy' && topic.endsWith('/stream') && ++n % 10 === 0);
    const transport = transportOn('lossy');
    for (let i = 0; i < 10; i++) expect((await runTurn(transport, `c-loss-${i}`, 'q')).text).toBe(ANSWER);
    expect(transport.statsNow().replaysRequested).toBeGreaterThan(0);
    expect(transport.statsNow().chunksRecovered).toBeGreaterThan(0);
    transport.close();
  });

  test('a consumer stalled for a second mid-turn catches up exactly', async () => {
    await setup(5);
    const transport = transportOn('slow');
    await waitConnected(transport);
    const turn = runTurn(transport, 'c-stall', 'q');
    setTimeout(() => broker.stall('slow', 1_000), 60);
    expect((await turn).text).toBe(ANSWER);
    transport.close();
  });

  test('an app-owned client that reconnects by itself: the turn resumes inside its stream and completes', async () => {
    await setup(5);
    const transport = transportOn('flaky', 50);
    await waitConnected(transport);
    const stream = await transport.sendMessages({ chatId: 'c-flaky', trigger: 'submit-message', messageId: undefined, abortSignal: undefined, messages: [userMessage('q')] });
    setTimeout(() => broker.dropClient('flaky'), 80);
    const turn = await readTurn(transport, 'c-flaky', stream, { maxResumes: 0 });
    expect(turn.text).toBe(ANSWER);
    expect(transport.chat('c-flaky').store.getSnapshot().recovery.droppedAt).not.toBeNull();
    transport.close();
  });
});
