/**
 * A plain transport (an app using `useChat` alone: nobody subscribes to `transport.connection`)
 * with several broker URLs. Its node dies mid-turn: the transport moves to the next URL and the
 * turn finishes with the exact text, observed or not.
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { UIMessageChunk } from 'ai';
import { createChatWorker, type ChatWorker } from '../../src/server/index.js';
import { createMockBroker, scriptedChunkStream, type MockBroker } from '../../src/testing/index.js';
import { CloudSignalChatTransport } from '../../src/transport/index.js';
import type { OpenClientOptions } from '../../src/transport/mqtt-client.js';
import { userMessage } from '../helpers/chat-harness.js';

const ANSWER = Array.from({ length: 80 }, (_, i) => `w${i}`).join(' ');
const URLS = ['ws://node-a.test/mqtt', 'ws://node-b.test/mqtt', 'ws://node-c.test/mqtt'];
let broker: MockBroker;
let worker: ChatWorker;
let transport: CloudSignalChatTransport;

afterEach(async () => {
  transport?.close();
  await worker?.close().catch(() => undefined);
  broker?.close();
});

async function readText(stream: ReadableStream<UIMessageChunk>, onDelta: (text: string) => void): Promise<string> {
  let text = '';
  const reader = stream.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return text;
    if (value.type === 'text-delta') {
      text += value.delta;
      onDelta(text);
    }
  }
}

describe.each([false, true])('a transport with several broker URLs whose node dies mid-turn (connection observed: %s)', (observed) => {
  test('moves to the next URL and finishes the turn with the exact text', async () => {
    broker = createMockBroker();
    worker = await createChatWorker({
      client: broker.connect({ clientId: 'worker-1' }),
      handler: ({ abortSignal }) => scriptedChunkStream({ text: ANSWER, tokenDelayMs: 5, signal: abortSignal }),
      rateLimit: false,
    });
    const opened: OpenClientOptions[] = [];
    transport = new CloudSignalChatTransport({
      wssUrl: URLS[0],
      urls: URLS,
      userId: 'ann',
      trigger: 'mqtt',
      connection: {
        clientId: `page-${observed}`,
        share: false,
        backoff: { initialDelay: 20, maxDelay: 40 },
        openClient: (options) => {
          opened.push(options);
          return broker.connect({ clientId: options.clientId, username: options.username, password: options.password });
        },
      },
    });
    const statuses: string[] = [];
    if (observed) transport.connection.subscribe(() => statuses.push(transport.connection.getSnapshot().status));

    const stream = await transport.sendMessages({ chatId: 'c1', trigger: 'submit-message', messageId: undefined, messages: [userMessage('q')], abortSignal: undefined });
    let killed = false;
    const text = await readText(stream, (sofar) => {
      if (killed || sofar.length < 40) return;
      killed = true;
      // Node A dies under the page: its socket closes; the next connect must go to node B.
      expect(opened[0].url()).toBe(URLS[0]);
      expect(broker.dropClient(`page-${observed}`)).toBe(true);
      expect(opened[0].url()).toBe(URLS[1]);
    });
    expect(killed).toBe(true);
    expect(text).toBe(ANSWER);
    expect(transport.connection.getSnapshot().status).toBe('connected');
    if (observed) expect(statuses).toContain('reconnecting');
  });
});
