/**
 * The AI SDK's own `useChat` (`@ai-sdk/react`) on `CloudSignalChatTransport` against a REAL broker
 * (issue 15, F9): the embedded Aedes, the transport connecting over WebSocket through a fault proxy
 * that cuts the page's socket 20 times at seeded-random points of the answer. No kit hook and no
 * app code (no `resumeStream()`): the transport resumes inside the stream it returned, so the
 * answer completes with the exact text, one assistant message and never an error.
 *
 * The worker's answer is paced by the test, so every cut lands mid-answer whatever the CPU load:
 * before each cut the test releases a random number of tokens and, by a coin toss, either waits
 * until the page shows them or cuts while they are still in flight; tokens are also released
 * while the page is offline.
 *
 * The sockets are Node's (MQTT.js picks its browser build, with Web Worker timers, whenever a
 * `window` exists when it loads, and jsdom has no Worker): so MQTT.js loads first, in Node mode,
 * and only then does the test give React a jsdom document to render into.
 */
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import type { renderHook as RenderHook, waitFor as WaitFor } from '@testing-library/react';
import type { useChat as UseChat } from '@ai-sdk/react';
import { builtinEnvironments } from 'vitest/runtime';
import type { UIMessage, UIMessageChunk } from 'ai';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/index.js';
import { createChatWorker, type ChatWorker } from '../../src/server/index.js';
import { CloudSignalChatTransport } from '../../src/transport/index.js';
import { FaultProxy } from '../chaos/lib/fault-proxy.js';
import { seededRandom } from '../chaos/lib/load.js';

const CUTS = 20;
const PAGE_CLIENT_ID = 'page-plain-use-chat';
const TOKENS = Array.from({ length: 600 }, (_, i) => `${i === 0 ? '' : ' '}w${i}`);
const ANSWER = TOKENS.join('');

/** A worker answer the test releases token by token. */
class PacedAnswer {
  private controller: ReadableStreamDefaultController<UIMessageChunk> | null = null;
  private released = 0;
  private readonly started: Promise<void>;
  private markStarted!: () => void;

  constructor() {
    this.started = new Promise((resolve) => (this.markStarted = resolve));
  }

  /** The handler's stream; the first chunks go out at once, the text as the test releases it. */
  stream(): ReadableStream<UIMessageChunk> {
    return new ReadableStream<UIMessageChunk>({
      start: (controller) => {
        this.controller = controller;
        controller.enqueue({ type: 'start' });
        controller.enqueue({ type: 'start-step' });
        controller.enqueue({ type: 'text-start', id: 't' });
        this.markStarted();
      },
    });
  }

  whenStarted(): Promise<void> {
    return this.started;
  }

  /** Releases up to `count` more tokens; returns how many are out in total. */
  release(count: number): number {
    const end = Math.min(TOKENS.length, this.released + count);
    for (; this.released < end; this.released++) this.controller!.enqueue({ type: 'text-delta', id: 't', delta: TOKENS[this.released] });
    return this.released;
  }

  /** Releases the rest and ends the answer. */
  finish(): void {
    this.release(TOKENS.length);
    this.controller!.enqueue({ type: 'text-end', id: 't' });
    this.controller!.enqueue({ type: 'finish-step' });
    this.controller!.enqueue({ type: 'finish' });
    this.controller!.close();
  }
}

let broker: EmbeddedBroker;
let proxy: FaultProxy;
let worker: ChatWorker;
let transport: CloudSignalChatTransport;

let renderHook: typeof RenderHook;
let waitFor: typeof WaitFor;
let useChat: typeof UseChat;
let teardownDom: (() => unknown) | null = null;
beforeAll(async () => {
  // Vitest's own jsdom environment, set up now that MQTT.js has loaded in Node mode.
  const dom = await builtinEnvironments.jsdom.setup(globalThis, { jsdom: { url: 'http://127.0.0.1/' } });
  teardownDom = () => dom.teardown(globalThis);
  // Updates come from live sockets, not from the test's own actions: nothing to wrap in act().
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = false;
  ({ renderHook, waitFor } = await import('@testing-library/react'));
  ({ useChat } = await import('@ai-sdk/react'));
});
afterAll(async () => {
  await teardownDom?.();
});
afterEach(async () => {
  transport?.close();
  await worker?.close();
  await proxy?.close();
  await broker?.close();
});

const textOf = (message: UIMessage | undefined) => (message?.parts ?? []).map((p) => (p.type === 'text' ? p.text : '')).join('');
/** Tokens of the answer the page shows. */
const shownTokens = (message: UIMessage | undefined) => (textOf(message) === '' ? 0 : textOf(message).split(' ').length);

test('plain useChat through 20 socket cuts mid-answer on the embedded broker: exact text, no error, no app code', async () => {
  const random = seededRandom(15_003);
  broker = await startEmbeddedBroker({ port: 0, wsPort: 0 });
  proxy = await FaultProxy.start(broker.wsUrl);
  const answer = new PacedAnswer();
  worker = await createChatWorker({ url: broker.mqttUrl, rateLimit: false, handler: () => answer.stream() });
  transport = new CloudSignalChatTransport({ wssUrl: proxy.url, userId: 'ann', trigger: 'mqtt', storage: false, connection: { clientId: PAGE_CLIENT_ID } });

  const statuses = new Set<string>();
  const { result } = renderHook(() => {
    const chat = useChat({ id: 'plain-real', transport });
    statuses.add(chat.status);
    return chat;
  });
  void result.current.sendMessage({ text: 'go' });
  await answer.whenStarted();

  let cuts = 0;
  while (cuts < CUTS) {
    const released = answer.release(1 + Math.floor(random() * 20));
    // Half the cuts after the page showed the tokens, half while they are in flight.
    if (random() < 0.5) await waitFor(() => expect(shownTokens(result.current.messages[1])).toBe(released), { timeout: 30_000 });
    else await waitFor(() => expect(proxy.connectionsOf(PAGE_CLIENT_ID)).toBe(1), { timeout: 30_000 });
    expect(proxy.drop(PAGE_CLIENT_ID, random() < 0.5 ? 'destroy' : 'clean')).toBe(true);
    cuts++;
    // Some of the answer is written while the page is offline.
    if (random() < 0.3) answer.release(1 + Math.floor(random() * 10));
    expect(result.current.status).not.toBe('error');
  }
  answer.finish();

  await waitFor(() => expect(result.current.status).toBe('ready'), { timeout: 60_000 });
  expect(result.current.error).toBeUndefined();
  expect([...statuses]).not.toContain('error');
  expect(result.current.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
  expect(textOf(result.current.messages[1])).toBe(ANSWER);
  expect(proxy.counters.drops.destroy + proxy.counters.drops.clean).toBe(CUTS);
  // Every cut was followed by a reconnect through the proxy.
  expect(proxy.counters.connections).toBeGreaterThanOrEqual(CUTS + 1);
}, 120_000);
