/**
 * Request size is checked before anything is published or posted: an oversized request fails at
 * once with a typed error naming the limit, nothing reaches the worker, and the connection stays
 * up (no broker disconnect, no re-send loop). A request under the limit goes through.
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { UIMessage } from 'ai';
import { createChatWorker, type ChatWorker } from '../../src/server/index.js';
import { createMockBroker, scriptedChunkStream, type MockBroker } from '../../src/testing/index.js';
import { CloudSignalChatTransport, RequestTooLargeError } from '../../src/transport/index.js';
import { readTurn, waitConnected } from '../helpers/chat-harness.js';

let broker: MockBroker;
let worker: ChatWorker;
afterEach(async () => {
  await worker?.close();
  broker?.close();
});

const withFile = (bytes: number): UIMessage => ({
  id: `u_${bytes}`,
  role: 'user',
  parts: [
    { type: 'file', mediaType: 'text/plain', url: `data:text/plain;base64,${'A'.repeat(bytes)}` },
    { type: 'text', text: 'summarise this' },
  ],
});

describe.each(['mqtt', 'http'] as const)('request size on the %s trigger', (trigger) => {
  test('500 KB fails at once with RequestTooLargeError naming the limit; 150 KB is answered', async () => {
    broker = createMockBroker();
    let turns = 0;
    worker = await createChatWorker({ client: broker.connect({ clientId: 'worker-1' }), handler: ({ abortSignal }) => (turns++, scriptedChunkStream({ text: 'read it', signal: abortSignal })), rateLimit: false });
    let posts = 0;
    const fetchSpy: typeof fetch = async () => {
      posts++;
      return new Response(null, { status: 202 });
    };
    const transport = new CloudSignalChatTransport({ client: broker.connect({ clientId: 'page' }), userId: 'ann', trigger, fetch: fetchSpy, storage: false });
    await waitConnected(transport);
    const send = (message: UIMessage) => transport.sendMessages({ chatId: 'c-size', trigger: 'submit-message', messageId: undefined, abortSignal: undefined, messages: [message] });
    const failure = await send(withFile(500_000)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RequestTooLargeError);
    expect((failure as RequestTooLargeError).limit).toBe(256 * 1024);
    expect((failure as Error).message).toContain('262144');
    expect(posts).toBe(0);
    expect(transport.connection.getSnapshot().status).toBe('connected');
    expect(transport.chat('c-size').store.getSnapshot().pending).toEqual([]);
    if (trigger === 'mqtt') {
      expect((await readTurn(transport, 'c-size', await send(withFile(150_000)))).text).toBe('read it');
      expect(turns).toBe(1);
    }
    transport.close();
  });
});
