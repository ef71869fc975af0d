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

describe('a transport that chose no client id, moving to another node', () => {
  test('takes a fresh client id there (a cluster may hold the old id on the dead node), and replays what it missed to that id', async () => {
    broker = createMockBroker();
    worker = await createChatWorker({
      client: broker.connect({ clientId: 'worker-1' }),
      handler: ({ abortSignal }) => scriptedChunkStream({ text: ANSWER, tokenDelayMs: 5, signal: abortSignal }),
      rateLimit: false,
    });
    transport = new CloudSignalChatTransport({
      wssUrl: URLS[0],
      urls: URLS,
      userId: 'ann',
      trigger: 'mqtt',
      connection: {
        share: false,
        backoff: { initialDelay: 20, maxDelay: 40 },
        // As the kit's MQTT.js client: it restores no subscriptions itself (resubscribe: false).
        openClient: (options) => broker.connect({ clientId: options.clientId, username: options.username, password: options.password, resubscribe: false }),
      },
    });
    const pageIds = () => broker.clients().filter((id) => id !== 'worker-1');
    const stream = await transport.sendMessages({ chatId: 'c1', trigger: 'submit-message', messageId: undefined, messages: [userMessage('q')], abortSignal: undefined });
    let firstId: string | null = null;
    let topicsOnSecondNode: string[] | null = null;
    const text = await readText(stream, (sofar) => {
      if (firstId === null && sofar.length >= 40) {
        [firstId] = pageIds();
        expect(broker.dropClient(firstId)).toBe(true);
      } else if (firstId !== null && topicsOnSecondNode === null) {
        // The first token read after the move: the page is subscribed on its new connection.
        topicsOnSecondNode = broker.subscriptions(pageIds()[0]).map((subscription) => subscription.topic);
      }
    });
    expect(firstId).not.toBeNull();
    // Every token, although the worker went on publishing while the page was between nodes.
    expect(text).toBe(ANSWER);
    const [secondId] = pageIds();
    expect(secondId).not.toBe(firstId);
    // Its replay topic is its new id's (the only one its ACL lets it read), never the old one's.
    expect(topicsOnSecondNode).toContain(`chat/ann/c1/replay/${secondId}`);
    expect(topicsOnSecondNode).not.toContain(`chat/ann/c1/replay/${firstId}`);
    expect(transport.statsNow().replaysRequested).toBeGreaterThan(0);
  });
});

