/**
 * The AI SDK's own `useChat` on the kit's transport, with no kit hook and no app code: a dropped
 * connection mid-answer is repaired inside the stream the transport returned, and only an outage
 * longer than `reconnectGrace` surfaces, as the resumable network error `useChat` knows.
 * Real transport, real worker, in-memory broker.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { renderHook, waitFor } from '@testing-library/react';
import { useChat } from '@ai-sdk/react';
import type { UIMessage } from 'ai';
import { createChatWorker, type ChatWorker } from '../../src/server/index.js';
import { createMockBroker, scriptedChunkStream, type MockBroker } from '../../src/testing/index.js';
import { CloudSignalChatTransport } from '../../src/transport/index.js';
import { withoutActEnvironment } from './live-stack.js';

const ANSWER = Array.from({ length: 400 }, (_, i) => `w${i}`).join(' ') + '.';
let broker: MockBroker;
let worker: ChatWorker;
const transports: CloudSignalChatTransport[] = [];

withoutActEnvironment();
afterEach(async () => {
  for (const transport of transports.splice(0)) transport.close();
  await worker?.close();
  broker?.close();
});

async function setup(reconnectGrace?: number, reconnectPeriod = 20) {
  broker = createMockBroker();
  worker = await createChatWorker({ client: broker.connect({ clientId: 'worker-1' }), handler: ({ abortSignal }) => scriptedChunkStream({ text: ANSWER, tokenDelayMs: 3, signal: abortSignal }), rateLimit: false });
  const transport = new CloudSignalChatTransport({ client: broker.connect({ clientId: 'page', reconnectPeriod }), userId: 'ann', trigger: 'mqtt', replayRetryMs: 200, reconnectGrace, storage: false });
  transports.push(transport);
  return transport;
}

const textOf = (message: UIMessage | undefined) => (message?.parts ?? []).map((p) => (p.type === 'text' ? p.text : '')).join('');
const words = (message: UIMessage | undefined) => textOf(message).split(' ').length;

describe('plain useChat on CloudSignalChatTransport', () => {
  it('20 socket drops at random points mid-answer: the answer completes with the exact text, no error, one assistant message', async () => {
    const transport = await setup();
    const { result } = renderHook(() => useChat({ id: 'plain', transport }));
    void result.current.sendMessage({ text: 'go' });
    await waitFor(() => expect(words(result.current.messages[1])).toBeGreaterThan(5), { timeout: 10_000 });
    let dropped = 0;
    // Each drop waits for more of the answer first, so every one lands mid-answer.
    while (dropped < 20) {
      const seen = words(result.current.messages[1]);
      await waitFor(() => expect(words(result.current.messages[1])).toBeGreaterThan(seen + Math.floor(Math.random() * 8)), { timeout: 10_000 });
      expect(result.current.status).toBe('streaming');
      broker.dropClient('page');
      dropped++;
    }
    await waitFor(() => expect(result.current.status).toBe('ready'), { timeout: 30_000 });
    expect(result.current.error).toBeUndefined();
    expect(result.current.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(textOf(result.current.messages[1])).toBe(ANSWER);
    expect(transport.chat('plain').store.getSnapshot().recovery.droppedAt).not.toBeNull();
  }, 60_000);

  it('an outage longer than reconnectGrace surfaces as the resumable network error, and resumeStream() completes the answer', async () => {
    // The page's client reconnects only when asked (reconnectPeriod 0): it stays offline past the grace.
    const transport = await setup(300, 0);
    const { result } = renderHook(() => useChat({ id: 'grace', transport }));
    void result.current.sendMessage({ text: 'go' });
    await waitFor(() => expect(words(result.current.messages[1])).toBeGreaterThan(5), { timeout: 10_000 });
    broker.dropClient('page');
    await waitFor(() => expect(result.current.status).toBe('error'), { timeout: 10_000 });
    expect(result.current.error).toBeInstanceOf(TypeError);
    expect(result.current.error!.message).toMatch(/network/);
    transport.retry();
    await waitFor(() => expect(transport.connection.getSnapshot().status).toBe('connected'), { timeout: 10_000 });
    void result.current.resumeStream();
    await waitFor(() => expect(result.current.status).toBe('ready'), { timeout: 30_000 });
    expect(textOf(result.current.messages.at(-1))).toBe(ANSWER);
    expect(result.current.messages.filter((m) => m.role === 'assistant')).toHaveLength(1);
  }, 60_000);
});
