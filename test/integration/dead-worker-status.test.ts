/**
 * A worker that dies mid-answer leaves its retained status at `generating`. Once this page has
 * ended the turn as failed (the worker went silent and did not answer the `turn` query), the chat's
 * activity says `error`, and keeps saying it when the stale retained status is delivered again.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { createChatWorker, type ChatWorker } from '../../src/server/index.js';
import { createMockBroker, scriptedChunkStream, type MockBroker } from '../../src/testing/index.js';
import { CloudSignalChatTransport, StreamTimeoutError } from '../../src/transport/index.js';
import { userMessage, waitConnected } from '../helpers/chat-harness.js';

const ANSWER = Array.from({ length: 150 }, (_, i) => `w${i}`).join(' ');
let broker: MockBroker;
let worker: ChatWorker;
let transport: CloudSignalChatTransport;

afterEach(async () => {
  transport?.close();
  await worker?.close().catch(() => undefined);
  broker?.close();
});

describe('a turn whose worker died', () => {
  test('ends as error, and a stale retained "generating" does not bring it back', async () => {
    broker = createMockBroker();
    worker = await createChatWorker({
      client: broker.connect({ clientId: 'worker-1' }),
      handler: ({ abortSignal }) => scriptedChunkStream({ text: ANSWER, tokenDelayMs: 20, signal: abortSignal }),
      rateLimit: false,
    });
    // A short silence limit so the test needs no fake timers; what is asserted is the event order, not its timing.
    transport = new CloudSignalChatTransport({ client: broker.connect({ clientId: 'page' }), userId: 'ann', trigger: 'mqtt', streamTimeout: 300, queryRetryMs: 100 });
    await waitConnected(transport);
    const watch = transport.chat('c1');
    const release = watch.acquire();
    const stream = await transport.sendMessages({ chatId: 'c1', trigger: 'submit-message', messageId: undefined, messages: [userMessage('q')], abortSignal: undefined });
    const reader = stream.getReader();
    let text = '';
    for (;;) {
      const { value } = await reader.read();
      if (value?.type === 'text-delta') text += value.delta;
      if (text.length > 20) break;
    }
    expect(watch.store.getSnapshot().turnState).toBe('generating');
    broker.dropClient('worker-1'); // its socket dies; nothing publishes a final status

    let failure: unknown;
    try {
      for (;;) if ((await reader.read()).done) break;
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(StreamTimeoutError);
    expect(watch.store.getSnapshot().turnState).toBe('error');

    // The broker delivers the dead worker's retained status again (a resubscribe after a reconnect).
    const received = transport.statsNow().received;
    broker.dropClient('page');
    transport.retry();
    await waitConnected(transport);
    await expect.poll(() => transport.statsNow().received).toBeGreaterThan(received);
    expect(watch.store.getSnapshot().turnState).toBe('error');
    release();
  });
});
