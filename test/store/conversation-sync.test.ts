/**
 * The conversation across reloads, devices, stops, outages and restarts (issue 10, tests 1-6),
 * end to end: the browser transport, the real chat worker with its chat store, on the embedded
 * broker with PGlite and on Mosquitto with a real PostgreSQL server (started by the test). A "device" here is what `useChat` keeps: a message list, sent with every
 * `sendMessages` and grown by reading the answer stream (the AI SDK's own `readUIMessageStream`).
 * A reload is a new transport over the same storage.
 */
import { convertToModelMessages, readUIMessageStream, streamText, type UIMessage, type UIMessageChunk } from 'ai';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/index.js';
import { createChatWorker, type ChatTurnHandler, type ChatWorker } from '../../src/server/index.js';
import pg from 'pg';
import type { ChatStore } from '../../src/server/store/chat-store.js';
import { createPgliteChatStore } from '../../src/server/store/pglite-engine.js';
import { createPostgresChatStore } from '../../src/server/store/postgres-engine.js';
import { startPostgres } from '../helpers/postgres.js';
import { createScriptedModel } from '../../src/testing/scripted-model.js';
import { CloudSignalChatTransport, createMemoryStorage, decodeQuery, TopicScheme, type KeyValueStorage, type QueryEnvelope } from '../../src/transport/index.js';
import { freePort, startMosquitto, type MosquittoHandle } from '../helpers/mosquitto.js';
import { userMessage, waitConnected } from '../helpers/chat-harness.js';

interface Broker {
  wsUrl: string;
  mqttUrl: string;
  /** Down (a crash: nothing kept) and, with `up()`, back on the same ports. */
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

async function embedded(): Promise<Broker> {
  const port = await freePort();
  const wsPort = await freePort();
  let broker: EmbeddedBroker | null = await startEmbeddedBroker({ port, wsPort });
  const urls = { mqttUrl: broker.mqttUrl, wsUrl: broker.wsUrl };
  return {
    ...urls,
    down: async () => {
      await broker?.close();
      broker = null;
    },
    up: async () => {
      broker = await startEmbeddedBroker({ port, wsPort });
    },
    stop: async () => {
      await broker?.close();
    },
  };
}

async function mosquitto(): Promise<Broker> {
  const handle: MosquittoHandle = await startMosquitto();
  return { mqttUrl: handle.mqttUrl, wsUrl: handle.wsUrl, down: () => handle.kill(), up: () => handle.restart(), stop: () => handle.stop() };
}

/** A SQL chat store backend: each `open()` is a fresh, empty schema on one database server. */
interface StoreBackend {
  open(): Promise<ChatStore>;
  stop(): Promise<void>;
}

async function pgliteBackend(): Promise<StoreBackend> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create();
  let schemas = 0;
  return { open: () => createPgliteChatStore({ db, schema: `conversation_${++schemas}` }), stop: () => db.close() };
}

async function postgresBackend(): Promise<StoreBackend> {
  const server = await startPostgres();
  const pool = new pg.Pool({ connectionString: server.connectionString, max: 8 });
  let schemas = 0;
  return {
    open: () => createPostgresChatStore({ pool, schema: `conversation_${++schemas}` }),
    stop: async () => {
      await pool.end();
      await server.stop();
    },
  };
}

const text = (message: UIMessage | undefined) => (message?.parts ?? []).map((part) => (part.type === 'text' ? part.text : '')).join('');

/** Reads an answer stream into the assistant message, continuing `base` as `useChat` does. */
async function readAnswer(stream: ReadableStream<UIMessageChunk>, base?: UIMessage): Promise<UIMessage> {
  let message: UIMessage | undefined = base;
  // An error chunk (a refused request) fails the test with its text instead of an empty answer.
  for await (const next of readUIMessageStream({ stream, terminateOnError: true, ...(base ? { message: base } : {}) })) message = next;
  return message!;
}

/** One page of a chat: what `useChat` holds, and its transport. */
class Device {
  messages: UIMessage[] = [];
  constructor(
    readonly transport: CloudSignalChatTransport,
    readonly chatId: string,
  ) {}

  async send(prompt: string, abortSignal?: AbortSignal): Promise<UIMessage> {
    this.messages.push(userMessage(prompt));
    const stream = await this.transport.sendMessages({ chatId: this.chatId, trigger: 'submit-message', messageId: undefined, abortSignal, messages: this.messages });
    const answer = await readAnswer(stream);
    this.messages.push(answer);
    return answer;
  }

  /** Hydrates from the stored conversation, as `useCloudSignalChat` does on mount. */
  async hydrate(): Promise<UIMessage[]> {
    const sync = this.transport.conversation(this.chatId);
    await sync.sync();
    this.messages = sync.store.getSnapshot().messages.map((stored) => stored.message);
    return this.messages;
  }
}

const ids = (messages: readonly UIMessage[]) => messages.map((m) => m.id);

describe.each([
  ['embedded broker with PGlite', embedded, pgliteBackend],
  ['Mosquitto with PostgreSQL', mosquitto, postgresBackend],
] as const)('conversations on the %s', (_name, startBroker, startStoreBackend) => {
  let broker: Broker;
  let backend: StoreBackend;
  let store: ChatStore;
  let worker: ChatWorker | null = null;
  let handler: ChatTurnHandler;
  const transports: CloudSignalChatTransport[] = [];
  let model = createScriptedModel({ texts: ['unused'] });

  const startWorker = async () => {
    worker = await createChatWorker({ url: broker.mqttUrl, store, handler: (context) => handler(context), rateLimit: false, probeTimeoutMs: 100 });
    return worker;
  };
  const open = (storage: KeyValueStorage = createMemoryStorage(), userId = 'ann') => {
    const transport = new CloudSignalChatTransport({ wssUrl: broker.wsUrl, userId, trigger: 'mqtt', storage, queryRetryMs: 500, connection: { backoff: { initialDelay: 50, maxDelay: 300 } } });
    transports.push(transport);
    return transport;
  };

  beforeAll(async () => {
    [broker, backend] = await Promise.all([startBroker(), startStoreBackend()]);
  });
  afterAll(async () => {
    await broker?.stop();
    await backend?.stop();
  });
  afterEach(async () => {
    for (const transport of transports.splice(0)) transport.close();
    await worker?.close();
    worker = null;
    await store?.close();
  });

  const useModel = (texts: string[], tokenDelayMs = 0) => {
    model = createScriptedModel({ texts, tokenDelayMs });
    handler = async ({ messages, abortSignal }) => streamText({ model, messages: await convertToModelMessages(messages), abortSignal });
  };

  test('8 turns, then a reload: the same 16 messages with the same ids, fetched after the cached cursor; the 9th turn reaches the model with all 16', async () => {
    store = await backend.open();
    useModel(Array.from({ length: 9 }, (_, i) => `answer ${i + 1}`));
    await startWorker();
    const storage = createMemoryStorage();
    const page = new Device(open(storage), 'c-reload');
    for (let i = 1; i <= 8; i++) expect(text(await page.send(`question ${i}`))).toBe(`answer ${i}`);
    await page.hydrate();
    const before = ids(page.messages);
    expect(before).toHaveLength(16);

    // Watch the queries the reloaded page asks.
    const spy = await mqtt.connectAsync(broker.mqttUrl);
    const queries: QueryEnvelope[] = [];
    spy.on('message', (_topic, payload) => {
      const decoded = decodeQuery(payload);
      if (decoded.ok) queries.push(decoded.value);
    });
    await spy.subscribeAsync(new TopicScheme().queryFilter(), { qos: 1 });
    page.transport.close();

    const reloaded = new Device(open(storage), 'c-reload');
    expect(ids(await reloaded.hydrate())).toEqual(before);
    const history = queries.filter((q) => q.op === 'history');
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ op: 'history', chatId: 'c-reload', after: expect.any(Number) });
    await spy.endAsync();

    expect(text(await reloaded.send('question 9'))).toBe('answer 9');
    const prompt = model.calls[8].prompt.filter((message) => message.role !== 'system');
    expect(prompt).toHaveLength(17);
    expect(ids(await reloaded.hydrate())).toEqual([...before, ...ids(reloaded.messages.slice(16))]);
  });

  test('a second device opening after 5 turns shows the same 10 messages; its turn shows live on the first device', async () => {
    store = await backend.open();
    useModel(Array.from({ length: 6 }, (_, i) => `reply ${i + 1} with a few more words to stream`), 5);
    await startWorker();
    const laptop = new Device(open(), 'c-two');
    for (let i = 1; i <= 5; i++) await laptop.send(`q${i}`);
    const phone = new Device(open(), 'c-two');
    expect(ids(await phone.hydrate())).toEqual(ids(laptop.messages));
    expect(phone.messages.map(text)).toEqual(laptop.messages.map(text));

    const watch = laptop.transport.chat('c-two');
    const release = watch.acquire();
    const sent = phone.send('from the phone');
    await expect.poll(() => watch.store.getSnapshot().userMessage?.id, { timeout: 10_000 }).toBe(phone.messages.at(-1)!.id);
    const live = await laptop.transport.reconnectToStream({ chatId: 'c-two' });
    expect(live).not.toBeNull();
    const followed = await readAnswer(live!);
    const answered = await sent;
    expect(followed.id).toBe(answered.id);
    expect(text(followed)).toBe(text(answered));
    release();
    expect(ids(await laptop.hydrate())).toEqual(ids(await phone.hydrate()));
  });

  test('stop on device B aborts the model call of a turn started on device A; both show it stopped and the partial is stored', async () => {
    store = await backend.open();
    useModel([Array.from({ length: 300 }, (_, i) => `w${i}`).join(' ')], 15);
    await startWorker();
    const a = new Device(open(), 'c-stop');
    const b = new Device(open(), 'c-stop');
    const watchB = b.transport.chat('c-stop');
    const releaseB = watchB.acquire();
    const watchA = a.transport.chat('c-stop');
    const releaseA = watchA.acquire();
    const answerOnA = a.send('go on and on');
    await expect.poll(() => watchB.store.getSnapshot().turnState, { timeout: 10_000 }).toBe('generating');
    const stop = new AbortController();
    const followed = await b.transport.reconnectToStream({ chatId: 'c-stop', abortSignal: stop.signal });
    const reader = followed!.getReader();
    let words = 0;
    while (words < 5) {
      const { value } = await reader.read();
      if (value?.type === 'text-delta') words += value.delta.split(' ').length;
    }
    // useChat's stop() on B aborts the signal it passed to reconnectToStream.
    stop.abort();
    const partial = await answerOnA;
    await expect.poll(() => watchA.store.getSnapshot().turnState, { timeout: 10_000 }).toBe('aborted');
    await expect.poll(() => watchB.store.getSnapshot().turnState, { timeout: 10_000 }).toBe('aborted');
    expect(model.aborted).toBe(1);
    expect(text(partial).split(' ').length).toBeLessThan(300);
    const stored = await b.hydrate();
    expect(stored.at(-1)!.id).toBe(partial.id);
    expect(text(stored.at(-1)).startsWith(text(partial).slice(0, 20))).toBe(true);
    releaseA();
    releaseB();
  });

  test('the broker is down when a prompt is sent, and the page reloads: shown as pending, sent exactly once after the restart, and answered', async () => {
    store = await backend.open();
    useModel(['answered after the outage']);
    await startWorker();
    const storage = createMemoryStorage();
    const first = open(storage);
    await waitConnected(first);
    await broker.down();
    await expect.poll(() => first.connection.getSnapshot().status).not.toBe('connected');
    const prompt = userMessage('sent while offline');
    const stream = await first.sendMessages({ chatId: 'c-offline', trigger: 'submit-message', messageId: undefined, abortSignal: undefined, messages: [prompt] });
    expect(first.chat('c-offline').store.getSnapshot().pending.map((m) => m.id)).toEqual([prompt.id]);
    void stream; // the page goes away with its stream; the prompt stays in storage
    first.close();

    const reloaded = open(storage);
    const handle = reloaded.chat('c-offline');
    const release = handle.acquire();
    expect(handle.store.getSnapshot().pending.map((m) => m.id)).toEqual([prompt.id]);
    await broker.up();
    const resumed = await reloaded.reconnectToStream({ chatId: 'c-offline' });
    expect(text(await readAnswer(resumed!))).toBe('answered after the outage');
    expect(model.calls).toHaveLength(1);
    await expect.poll(() => handle.store.getSnapshot().pending).toEqual([]);
    const device = new Device(reloaded, 'c-offline');
    expect((await device.hydrate()).map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(device.messages[0].id).toBe(prompt.id);
    release();
  }, 60_000);

  test('client tool output and tool approval continue the same assistant message; an approval answered on another device after a reload continues the turn', async () => {
    store = await backend.open();
    // A scripted agent: ask for the client tool, then ask approval for a server tool, then answer.
    handler = ({ messages }) => {
      const last = messages.at(-1)!;
      const tool = last.role === 'assistant' ? (last.parts.filter((p) => p.type.startsWith('tool-')) as Array<{ type: string; state: string; toolCallId: string }>) : [];
      const chunks: UIMessageChunk[] = [{ type: 'start' }, { type: 'start-step' }];
      if (tool.length === 0) chunks.push({ type: 'tool-input-available', toolCallId: 'call-1', toolName: 'getLocation', input: {} });
      else if (tool.length === 1 && tool[0].state === 'output-available') {
        chunks.push({ type: 'tool-input-available', toolCallId: 'call-2', toolName: 'bookTable', input: { at: 'Lyon' } }, { type: 'tool-approval-request', approvalId: 'ap-1', toolCallId: 'call-2' });
      } else {
        chunks.push({ type: 'text-start', id: 't' }, { type: 'text-delta', id: 't', delta: 'Booked in Lyon.' }, { type: 'text-end', id: 't' });
      }
      chunks.push({ type: 'finish-step' }, { type: 'finish' });
      return new ReadableStream<UIMessageChunk>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(chunk);
          controller.close();
        },
      });
    };
    await startWorker();
    const storage = createMemoryStorage();
    const laptop = new Device(open(storage), 'c-tools');
    const asked = await laptop.send('book me a table near me');
    const toolPart = asked.parts.find((p) => p.type === 'tool-getLocation') as { state: string } & Record<string, unknown>;
    expect(toolPart.state).toBe('input-available');
    // addToolOutput: the same assistant message, its tool part moved forward, sent as the continuation.
    const withOutput: UIMessage = { ...asked, parts: asked.parts.map((p) => (p === toolPart ? { ...toolPart, state: 'output-available', output: { city: 'Lyon' } } : p)) as UIMessage['parts'] };
    laptop.messages[laptop.messages.length - 1] = withOutput;
    const stream = await laptop.transport.sendMessages({ chatId: 'c-tools', trigger: 'submit-message', messageId: withOutput.id, abortSignal: undefined, messages: laptop.messages });
    const continued = await readAnswer(stream, withOutput);
    expect(continued.id).toBe(asked.id);
    expect(continued.parts.some((p) => p.type === 'tool-bookTable' && (p as { state: string }).state === 'approval-requested')).toBe(true);
    laptop.transport.close();

    // Another device opens the chat after the approval was requested and answers it.
    const phone = new Device(open(), 'c-tools');
    const stored = await phone.hydrate();
    expect(stored.map((m) => m.role)).toEqual(['user', 'assistant']);
    const pending = stored[1];
    expect(pending.id).toBe(asked.id);
    const approval = pending.parts.find((p) => p.type === 'tool-bookTable') as { state: string; approval: { id: string } } & Record<string, unknown>;
    expect(approval.state).toBe('approval-requested');
    const approved: UIMessage = { ...pending, parts: pending.parts.map((p) => (p === (approval as unknown) ? { ...approval, state: 'approval-responded', approval: { ...approval.approval, approved: true } } : p)) as UIMessage['parts'] };
    phone.messages[1] = approved;
    const final = await readAnswer(await phone.transport.sendMessages({ chatId: 'c-tools', trigger: 'submit-message', messageId: approved.id, abortSignal: undefined, messages: phone.messages }), approved);
    expect(final.id).toBe(asked.id);
    expect(text(final)).toBe('Booked in Lyon.');

    // The first device reloads: one assistant message holding the whole tool conversation.
    const reloaded = new Device(open(storage), 'c-tools');
    const after = await reloaded.hydrate();
    expect(after.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(after[1].id).toBe(asked.id);
    expect(text(after[1])).toBe('Booked in Lyon.');
  });

  test('a worker restart between turns keeps the history; a worker crash mid-turn leaves the prompt stored and the turn marked failed', async () => {
    store = await backend.open();
    useModel(['first answer', 'second answer', Array.from({ length: 400 }, (_, i) => `x${i}`).join(' ')], 10);
    await startWorker();
    const page = new Device(open(), 'c-restart');
    await page.send('one');
    await worker!.close();
    await startWorker();
    expect(text(await page.send('two'))).toBe('second answer');
    expect((await page.hydrate()).map(text)).toEqual(['one', 'first answer', 'two', 'second answer']);

    const watch = page.transport.chat('c-restart');
    const release = watch.acquire();
    page.messages.push(userMessage('three'));
    const stream = await page.transport.sendMessages({ chatId: 'c-restart', trigger: 'submit-message', messageId: undefined, abortSignal: undefined, messages: page.messages });
    const reading = readAnswer(stream).catch((error: unknown) => error);
    await expect.poll(() => watch.store.getSnapshot().turnState, { timeout: 10_000 }).toBe('generating');
    // A crash: the socket dies, nothing more is published or stored by that worker.
    const crashed = worker!;
    (crashed.client as unknown as { stream: { destroy(): void } }).stream.destroy();
    (crashed.client as unknown as { end(force: boolean): void }).end(true);
    worker = null; // its client is dead; nothing of it is left to close
    const survivor = await startWorker();
    // The crashed worker's presence goes with its connection (last will); then the sweep marks its turn.
    await expect
      .poll(
        async () => {
          await survivor.sweep();
          return (await store.loadMessages({ userId: 'ann', chatId: 'c-restart' })).messages.at(-1)?.turn?.state;
        },
        { timeout: 15_000 },
      )
      .toBe('error');
    const stored = await store.loadMessages({ userId: 'ann', chatId: 'c-restart' });
    expect(stored.messages.map((m) => text(m.message)).slice(0, 5)).toEqual(['one', 'first answer', 'two', 'second answer', 'three']);
    expect(stored.messages[4].turn?.state).toBe('error');
    // The page's stream ends (the survivor published the turn's end) instead of hanging.
    await reading;
    await expect.poll(() => watch.store.getSnapshot().turnState).toBe('error');
    release();
  }, 60_000);
});
