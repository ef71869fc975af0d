/**
 * The worker's "finished" answer to a turn lookup can overtake the retained `complete` (a busy
 * broker sends retained messages late). The page must not end the answer with what it has then:
 * it asks the broker for the retained `complete` again and finishes the exact text from it.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { createChatWorker, type ChatWorker } from '../../src/server/index.js';
import { createMockBroker, scriptedChunkStream, type MockBroker } from '../../src/testing/index.js';
import { decodeStream } from '../../src/transport/envelope.js';
import { CloudSignalChatTransport } from '../../src/transport/index.js';
import { userMessage, waitConnected } from '../helpers/chat-harness.js';

const ANSWER = Array.from({ length: 60 }, (_, i) => `w${i}`).join(' ');
let broker: MockBroker;
let worker: ChatWorker;
let transport: CloudSignalChatTransport;

/** The one worker of a test, answering ANSWER a token every `tokenDelayMs`. */
function startWorker(tokenDelayMs: number): Promise<ChatWorker> {
  return createChatWorker({
    client: broker.connect({ clientId: 'worker-1' }),
    handler: ({ abortSignal }) => scriptedChunkStream({ text: ANSWER, tokenDelayMs, signal: abortSignal }),
    rateLimit: false,
  });
}

afterEach(async () => {
  transport?.close();
  await worker?.close().catch(() => undefined);
  broker?.close();
});

describe('a lookup that says "finished" before the retained complete arrived', () => {
  test('the page fetches the complete again and shows the exact text, not the part it had', async () => {
    broker = createMockBroker();
    worker = await startWorker(5);
    // The page loses the stream after its first envelopes, every replay, and the first copy of the
    // `complete`: only the worker's lookup answer reaches it before the complete is sent again.
    let completesDropped = 0;
    broker.dropMessages((topic, payload, to) => {
      if (to !== 'page') return false;
      if (topic.endsWith('/replay/page')) return true;
      if (topic.endsWith('/complete') && completesDropped === 0) return (completesDropped = 1) === 1;
      if (!topic.endsWith('/stream')) return false;
      const decoded = decodeStream(payload);
      return decoded.ok && decoded.value.seq >= 6;
    });
    // A short silence limit so the test needs no fake timers; what is asserted is the text, not timing.
    transport = new CloudSignalChatTransport({ client: broker.connect({ clientId: 'page' }), userId: 'ann', trigger: 'mqtt', streamTimeout: 300, queryRetryMs: 100 });
    await waitConnected(transport);
    const stream = await transport.sendMessages({ chatId: 'c1', trigger: 'submit-message', messageId: undefined, messages: [userMessage('q')], abortSignal: undefined });
    const reader = stream.getReader();
    let text = '';
    let errored = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (value.type === 'text-delta') text += value.delta;
      if (value.type === 'error') errored = true;
    }
    expect(completesDropped).toBe(1);
    expect(errored).toBe(false);
    expect(text).toBe(ANSWER);
  });
});

describe("a finished turn whose retained complete is gone for good (a whole cluster restarted without it)", () => {
  test('reconnectToStream replays the answer the worker stored: useChat alone gets the whole text and its finish', async () => {
    broker = createMockBroker();
    worker = await startWorker(1);
    const laptop = new CloudSignalChatTransport({ client: broker.connect({ clientId: 'laptop' }), userId: 'ann', trigger: 'mqtt' });
    await waitConnected(laptop);
    const sent = await laptop.sendMessages({ chatId: 'c1', trigger: 'submit-message', messageId: undefined, messages: [userMessage('q')], abortSignal: undefined });
    for (const reader = sent.getReader(); !(await reader.read()).done; );
    laptop.close();
    // The phone never gets the retained `complete` (nor any copy of it): only the worker knows the answer.
    broker.dropMessages((topic, _payload, to) => to === 'phone' && topic.endsWith('/complete'));
    transport = new CloudSignalChatTransport({ client: broker.connect({ clientId: 'phone' }), userId: 'ann', trigger: 'mqtt', queryRetryMs: 100 });
    await waitConnected(transport);
    const resumed = await transport.reconnectToStream({ chatId: 'c1' } as Parameters<CloudSignalChatTransport['reconnectToStream']>[0]);
    expect(resumed).not.toBeNull();
    const chunks = [];
    for (const reader = resumed!.getReader(); ; ) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    expect(chunks.filter((c) => c.type === 'text-delta').map((c) => (c as { delta: string }).delta).join('')).toBe(ANSWER);
    expect(chunks[0]).toMatchObject({ type: 'start' });
    expect(chunks.at(-1)).toEqual({ type: 'finish' });
  });
});
