/**
 * A broker that takes a turn's request and never acknowledges it, while the connection stays up:
 * RabbitMQ does this to a QoS 1 publish routed to a queue whose node dies before confirming it
 * (seen in the RabbitMQ failover scenario "the workers' node dies mid-turn", under a busy CPU).
 * MQTT.js sends an unacknowledged publish again only on a reconnect, which never comes. The page
 * must not wait for that acknowledgement forever: it re-sends the request and asks the workers
 * about the turn, as it does for a request no worker has shown, and the turn completes exactly.
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { UIMessageChunk } from 'ai';
import { createChatWorker, type ChatWorker } from '../../src/server/index.js';
import { createMockBroker, scriptedChunkStream, type MockBroker } from '../../src/testing/index.js';
import { CloudSignalChatTransport } from '../../src/transport/index.js';
import { userMessage } from '../helpers/chat-harness.js';

const ANSWER = Array.from({ length: 30 }, (_, i) => `u${i}`).join(' ');
let broker: MockBroker;
let worker: ChatWorker;
let transport: CloudSignalChatTransport;
let handlerRuns = 0;

afterEach(async () => {
  transport?.close();
  await worker?.close().catch(() => undefined);
  broker?.close();
});

async function readAll(stream: ReadableStream<UIMessageChunk>): Promise<{ text: string; types: string[] }> {
  let text = '';
  const types: string[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return { text, types };
    types.push(value.type);
    if (value.type === 'text-delta') text += value.delta;
  }
}

/** Swallows the first publish of the page on a request topic; counts the ones after it. */
function swallowFirstRequest(pageId: string) {
  const seen = { swallowed: 0, passed: 0 };
  broker.swallowPublishes((topic, _payload, from) => {
    if (from !== pageId || !topic.endsWith('/request')) return false;
    if (seen.swallowed === 0) {
      seen.swallowed++;
      return true;
    }
    seen.passed++;
    return false;
  });
  return seen;
}

async function start(): Promise<void> {
  broker = createMockBroker();
  handlerRuns = 0;
  worker = await createChatWorker({
    // Back by itself when the broker is (the outbox test takes the broker offline).
    client: broker.connect({ clientId: 'worker-1', reconnectPeriod: 20 }),
    handler: ({ abortSignal }) => {
      handlerRuns++;
      return scriptedChunkStream({ text: ANSWER, tokenDelayMs: 2, signal: abortSignal });
    },
    rateLimit: false,
  });
  transport = new CloudSignalChatTransport({
    wssUrl: 'ws://node-a.test/mqtt',
    userId: 'ann',
    trigger: 'mqtt',
    replayRetryMs: 50,
    connection: {
      clientId: 'page-1',
      share: false,
      backoff: { initialDelay: 20, maxDelay: 40 },
      openClient: (options) => broker.connect({ clientId: options.clientId, username: options.username, password: options.password }),
    },
  });
}

describe('a request the broker takes and never acknowledges, the connection staying up', () => {
  test('sent while connected: the page re-sends it, the worker runs it once, and the answer is exact', async () => {
    await start();
    const seen = swallowFirstRequest('page-1');
    const stream = await transport.sendMessages({ chatId: 'c1', trigger: 'submit-message', messageId: undefined, messages: [userMessage('q')], abortSignal: undefined });
    const { text, types } = await readAll(stream);
    expect(text).toBe(ANSWER);
    expect(types.at(-1)).toBe('finish');
    expect(seen.swallowed).toBe(1);
    expect(seen.passed).toBeGreaterThanOrEqual(1);
    expect(handlerRuns).toBe(1);
  });

  test('sent from the outbox when the connection came back: the same', async () => {
    await start();
    const seen = swallowFirstRequest('page-1');
    broker.setOffline(true);
    // Offline, with its user id known: the prompt waits in the outbox and the stream is returned.
    const stream = await transport.sendMessages({ chatId: 'c1', trigger: 'submit-message', messageId: undefined, messages: [userMessage('q')], abortSignal: undefined });
    expect(seen.swallowed).toBe(0);
    broker.setOffline(false);
    const { text, types } = await readAll(stream);
    expect(text).toBe(ANSWER);
    expect(types.at(-1)).toBe('finish');
    expect(seen.swallowed).toBe(1);
    expect(handlerRuns).toBe(1);
  });
});
