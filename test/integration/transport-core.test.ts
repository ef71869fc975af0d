/**
 * The transport core against the embedded broker over real sockets: TCP for the worker,
 * WebSocket for the browser transport (issue 2's required scenarios).
 */
import { createServer, type Server } from 'node:http';
import { streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import mqtt from 'mqtt';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/index.js';
import { createChatRequestHandler, createChatWorker, toNodeHandler, type ChatWorker, type ChatTurnHandler } from '../../src/server/index.js';
import { createScriptedModel, scriptedChunkStream } from '../../src/testing/scripted-model.js';
import { StreamTimeoutError, TopicScheme, decodeComplete, decodeStatus, type StatusEnvelope } from '../../src/transport/index.js';
import { createTransport, readTurn, runTurn, userMessage, waitConnected } from '../helpers/chat-harness.js';

const ANSWER = Array.from({ length: 40 }, (_, i) => `token${i}`).join(' ') + '.';
const topics = new TopicScheme();

let broker: EmbeddedBroker;
let worker: ChatWorker;
let handler: ChatTurnHandler = ({ abortSignal }) => scriptedChunkStream({ text: ANSWER, tokenDelayMs: 3, signal: abortSignal });

beforeAll(async () => {
  broker = await startEmbeddedBroker({ port: 0, wsPort: 0 });
  worker = await createChatWorker({ url: broker.mqttUrl, handler: (context) => handler(context), rateLimit: false });
});

afterAll(async () => {
  await worker?.close();
  await broker?.close();
});

/** Watches a chat's retained and live status over a plain MQTT.js client. */
async function watchStatus(userId: string, chatId: string) {
  const client = await mqtt.connectAsync(broker.mqttUrl);
  const statuses: StatusEnvelope[] = [];
  client.on('message', (_topic, payload) => {
    const decoded = decodeStatus(payload);
    if (decoded.ok) statuses.push(decoded.value);
  });
  await client.subscribeAsync(topics.topic({ userId, chatId }, 'status'), { qos: 1 });
  return { statuses, close: () => client.endAsync() };
}

describe('CloudSignalChatTransport over the embedded broker', () => {
  test('a turn streams the exact text, in order, with the status sequence', async () => {
    const transport = createTransport({ wssUrl: broker.wsUrl, userId: 'alice' });
    const watcher = await watchStatus('alice', 'c-basic');
    const turn = await runTurn(transport, 'c-basic', 'hello');
    expect(turn.text).toBe(ANSWER);
    expect(turn.types[0]).toBe('start');
    expect(turn.types.at(-1)).toBe('finish');
    await expect.poll(() => watcher.statuses.map((s) => s.state)).toEqual(['queued', 'thinking', 'generating', 'done']);
    transport.close();
    await watcher.close();
  });

  test('50 socket drops at random points mid-turn: every turn ends with the exact text, inside the stream it started with', async () => {
    const transport = createTransport({ wssUrl: broker.wsUrl, userId: 'bob', connection: { backoff: { initialDelay: 20, maxDelay: 200 } } });
    await waitConnected(transport);
    let interrupted = 0;
    for (let i = 0; i < 50; i++) {
      const started = Date.now();
      const stream = await transport.sendMessages({ chatId: 'c-drops', trigger: 'submit-message', messageId: undefined, abortSignal: undefined, messages: [userMessage(`q${i}`)] });
      const drop = setTimeout(() => transport.dropConnection(), 5 + Math.random() * 100);
      const turn = await readTurn(transport, 'c-drops', stream, { maxResumes: 0 });
      clearTimeout(drop);
      expect(turn.text).toBe(ANSWER);
      expect(turn.types.filter((t) => t === 'start')).toHaveLength(1);
      const { droppedAt } = transport.chat('c-drops').store.getSnapshot().recovery;
      if (droppedAt !== null && droppedAt >= started) interrupted++;
      await waitConnected(transport);
    }
    // The drops must really have landed mid-turn, or this test proves nothing.
    expect(interrupted).toBeGreaterThanOrEqual(40);
    transport.close();
  }, 120_000);

  test('a second client joining mid-turn gets the partial answer then the rest; one joining after gets it from complete', async () => {
    handler = ({ abortSignal }) => scriptedChunkStream({ text: ANSWER, tokenDelayMs: 15, signal: abortSignal });
    const first = createTransport({ wssUrl: broker.wsUrl, userId: 'carol' });
    const turnDone = runTurn(first, 'c-join', 'hi');
    await new Promise((resolve) => setTimeout(resolve, 250));
    // Other devices: their own connections (transports of one page would share one).
    const second = createTransport({ wssUrl: broker.wsUrl, userId: 'carol', connection: { share: false } });
    await waitConnected(second);
    const live = await second.reconnectToStream({ chatId: 'c-join' });
    expect(live).not.toBeNull();
    const joined = await readTurn(second, 'c-join', live!);
    expect((await turnDone).text).toBe(ANSWER);
    expect(joined.text).toBe(ANSWER);
    expect(second.chat('c-join').store.getSnapshot().recovery.recoveredChunks).toBeGreaterThan(0);

    const late = createTransport({ wssUrl: broker.wsUrl, userId: 'carol', connection: { share: false } });
    await waitConnected(late);
    const fromComplete = await late.reconnectToStream({ chatId: 'c-join' });
    expect(fromComplete).not.toBeNull();
    expect((await readTurn(late, 'c-join', fromComplete!)).text).toBe(ANSWER);
    for (const t of [first, second, late]) t.close();
    handler = ({ abortSignal }) => scriptedChunkStream({ text: ANSWER, tokenDelayMs: 3, signal: abortSignal });
  });

  test('stop() aborts the model call, status goes aborted, complete holds the partial text', async () => {
    const model = createScriptedModel({ text: ANSWER, tokenDelayMs: 20 });
    handler = ({ messages, abortSignal }) => streamText({ model, prompt: String((messages[0].parts[0] as { text: string }).text), abortSignal });
    const transport = createTransport({ wssUrl: broker.wsUrl, userId: 'dave' });
    const watcher = await watchStatus('dave', 'c-stop');
    const controller = new AbortController();
    const stream = await transport.sendMessages({ chatId: 'c-stop', trigger: 'submit-message', messageId: undefined, abortSignal: controller.signal, messages: [userMessage('go')] });
    const reader = stream.getReader();
    let partial = '';
    while (partial.split(' ').length < 5) {
      const { value } = await reader.read();
      if (value?.type === 'text-delta') partial += value.delta;
    }
    controller.abort();
    await expect.poll(() => watcher.statuses.at(-1)?.state, { timeout: 5_000 }).toBe('aborted');
    expect(model.aborted).toBeGreaterThan(0);
    const client = await mqtt.connectAsync(broker.mqttUrl);
    const complete = await new Promise<ReturnType<typeof decodeComplete>>((resolve) => {
      client.on('message', (_t, payload) => resolve(decodeComplete(payload)));
      void client.subscribeAsync(topics.topic({ userId: 'dave', chatId: 'c-stop' }, 'complete'));
    });
    expect(complete.ok).toBe(true);
    if (complete.ok) {
      expect(complete.value.state).toBe('aborted');
      const text = complete.value.chunks.map((c) => (c.type === 'text-delta' ? c.delta : '')).join('');
      expect(text.startsWith(partial)).toBe(true);
      expect(text.length).toBeLessThan(ANSWER.length);
      expect(complete.value.chunks.at(-1)?.type).toBe('abort');
    }
    await client.endAsync();
    await watcher.close();
    transport.close();
    handler = ({ abortSignal }) => scriptedChunkStream({ text: ANSWER, tokenDelayMs: 3, signal: abortSignal });
  });

  test('two rapid turns on one chat do not interleave', async () => {
    let call = 0;
    handler = ({ abortSignal }) => scriptedChunkStream({ text: `${call++ === 0 ? 'alpha' : 'beta'} ${ANSWER}`, tokenDelayMs: 2, signal: abortSignal });
    const transport = createTransport({ wssUrl: broker.wsUrl, userId: 'erin' });
    const [a, b] = await Promise.all([runTurn(transport, 'c-rapid', 'one'), runTurn(transport, 'c-rapid', 'two')]);
    expect([a.text, b.text].sort()).toEqual([`alpha ${ANSWER}`, `beta ${ANSWER}`]);
    transport.close();
    handler = ({ abortSignal }) => scriptedChunkStream({ text: ANSWER, tokenDelayMs: 3, signal: abortSignal });
  });

  test('the worker killed mid-turn and no worker left to answer the lookup: the stream ends with the typed timeout error', async () => {
    const local = await startEmbeddedBroker({ port: 0, wsPort: 0 });
    const doomed = await createChatWorker({ url: local.mqttUrl, handler: ({ abortSignal }) => scriptedChunkStream({ text: ANSWER, tokenDelayMs: 30, signal: abortSignal }) });
    const transport = createTransport({ wssUrl: local.wsUrl, userId: 'frank', streamTimeout: 1_500 });
    const stream = await transport.sendMessages({ chatId: 'c-kill', trigger: 'submit-message', messageId: undefined, abortSignal: undefined, messages: [userMessage('x')] });
    const reader = stream.getReader();
    await reader.read();
    // A crash: the worker's socket dies and its process state is gone, nothing is published again.
    (doomed.client as unknown as { stream: { destroy(): void } }).stream.destroy();
    (doomed.client as unknown as { end(force: boolean): void }).end(true);
    const started = Date.now();
    let failure: unknown;
    try {
      while (!(await reader.read()).done);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(StreamTimeoutError);
    // One silence asks the worker about the turn; a second one with no answer at all gives up.
    // (A lower bound only: a busy machine makes it later, never earlier.)
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * 1_500 - 100);
    transport.close();
    await local.close();
  });

  test('1 000 malformed or foreign messages on the chat topics change nothing and are counted', async () => {
    handler = ({ abortSignal }) => scriptedChunkStream({ text: ANSWER, tokenDelayMs: 10, signal: abortSignal });
    const transport = createTransport({ wssUrl: broker.wsUrl, userId: 'gina' });
    const attacker = await mqtt.connectAsync(broker.mqttUrl);
    const address = { userId: 'gina', chatId: 'c-junk' };
    await waitConnected(transport);
    const stream = await transport.sendMessages({ chatId: 'c-junk', trigger: 'submit-message', messageId: undefined, abortSignal: undefined, messages: [userMessage('q')] });
    const junk = [
      'not json',
      '{"v":1}',
      '{"v":2,"r":"x","s":0,"c":[{"type":"text-delta","id":"0","delta":"EVIL"}]}',
      '{"v":1,"r":"foreignRequest","s":0,"c":[{"type":"text-delta","id":"0","delta":"EVIL"}]}',
      '{"v":1,"r":"bad id/with slash","s":0,"c":[]}',
      '{"v":1,"r":"abc","s":-4,"c":[{"type":"text-delta"}]}',
      '[]',
      '',
    ];
    const sent = Promise.all(
      Array.from({ length: 1_000 }, (_, i) => {
        const channel = (['stream', 'status', 'complete'] as const)[i % 3];
        return attacker.publishAsync(topics.topic(address, channel), junk[i % junk.length], { qos: 0 });
      }),
    );
    const turn = await readTurn(transport, 'c-junk', stream);
    await sent;
    expect(turn.text).toBe(ANSWER);
    await expect
      .poll(() => {
        const stats = transport.statsNow();
        return Object.values(stats.dropped).reduce((a, b) => a + b, 0);
      })
      .toBeGreaterThanOrEqual(1_000 - 125 /* empty payloads on complete clear retained state and are ignored */);
    await attacker.endAsync();
    transport.close();
    handler = ({ abortSignal }) => scriptedChunkStream({ text: ANSWER, tokenDelayMs: 3, signal: abortSignal });
  });

  test('the HTTP trigger answers 202 and the turn arrives over MQTT; no session is 401', async () => {
    const serviceClient = await mqtt.connectAsync(broker.mqttUrl);
    const http: Server = createServer(
      toNodeHandler(
        createChatRequestHandler({
          client: serviceClient as never,
          authenticate: (request) => request.headers.get('x-demo-user'),
          handler: ({ abortSignal }) => scriptedChunkStream({ text: ANSWER, tokenDelayMs: 2, signal: abortSignal }),
        }),
      ),
    );
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const api = `http://127.0.0.1:${(http.address() as { port: number }).port}/api/chat`;
    const transport = createTransport({ wssUrl: broker.wsUrl, userId: 'hank', trigger: 'http', api, headers: { 'x-demo-user': 'hank' } });
    const turn = await runTurn(transport, 'c-http', 'via http');
    expect(turn.text).toBe(ANSWER);
    const anonymous = await fetch(api, { method: 'POST', body: JSON.stringify({ id: 'c-http', requestId: 'r1', trigger: 'submit-message', messages: [userMessage('x')] }) });
    expect(anonymous.status).toBe(401);
    transport.close();
    await serviceClient.endAsync();
    await new Promise((resolve) => http.close(resolve));
  });
});
