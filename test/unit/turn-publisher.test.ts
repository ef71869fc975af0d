/**
 * `TurnPublisher` on the mock broker: it owns every status change of a turn, the message id of
 * every device's answer, the order "stored, then complete, then final status", and the replay budget.
 */
import type { UIMessageChunk } from 'ai';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { publishRefusal, TurnPublisher, type TurnPublisherOptions } from '../../src/server/turn-publisher.js';
import { createMockBroker, type MockBroker } from '../../src/testing/index.js';
import { decodeComplete, decodeStatus } from '../../src/transport/envelope.js';
import { ProtocolClient, topics, userText } from '../helpers/protocol-client.js';

let broker: MockBroker;
const address = { userId: 'ann', chatId: 'c1' };

afterEach(async () => {
  vi.useRealTimers();
  await broker?.close();
});

async function connectedClient(clientId = 'svc-w') {
  const client = broker.connect({ clientId });
  if (!client.connected) await new Promise<void>((resolve) => client.on('connect', () => resolve()));
  return client;
}

async function publisherOn(options: Partial<TurnPublisherOptions> = {}): Promise<TurnPublisher> {
  return new TurnPublisher({
    client: await connectedClient(),
    topics,
    address,
    requestId: 'r1',
    messageId: 'msg_r1',
    streamQos: 1,
    completeQos: 1,
    mergeWindowMs: 0,
    completeExpirySeconds: 60,
    replayBatchSize: 256,
    ...options,
  });
}

async function watcher(clientId = 'ann-tab'): Promise<ProtocolClient> {
  const client = new ProtocolClient(broker.connect({ clientId }), 'ann', clientId);
  await client.open('c1');
  return client;
}

const retained = (channel: 'status' | 'complete') => broker.retained(topics.topic(address, channel))?.payload;

describe('TurnPublisher', () => {
  test('queued (not retained), thinking, generating on the first delta, done: every status from one place', async () => {
    broker = createMockBroker();
    const tab = await watcher();
    const turn = await publisherOn({ userMessage: userText('hi', 'u1') });
    await turn.acknowledge();
    expect(retained('status')).toBeUndefined();
    await turn.start();
    turn.push({ type: 'text-start', id: 't' });
    turn.push({ type: 'text-delta', id: 't', delta: 'hello' });
    turn.push({ type: 'text-end', id: 't' });
    const result = await turn.finish('done');
    expect(result).toMatchObject({ state: 'done', text: 'hello' });
    await tab.finalStatus('c1', 'r1');
    expect(tab.recordOf('c1').statuses.map((status) => status.state)).toEqual(['queued', 'thinking', 'generating', 'done']);
    const final = decodeStatus(retained('status')!);
    expect(final.ok && final.value).toMatchObject({ state: 'done', messageId: 'msg_r1', userMessage: { id: 'u1' } });
  });

  test("the first chunk is a start with the turn's message id, whatever the source sent", async () => {
    broker = createMockBroker();
    const tab = await watcher();
    const turn = await publisherOn({ messageId: 'existing-assistant' });
    await turn.start();
    turn.push({ type: 'start', messageId: 'provider-chosen' } as UIMessageChunk);
    turn.push({ type: 'text-start', id: 't' });
    await turn.finish('done');
    await tab.finalStatus('c1', 'r1');
    expect(tab.chunksOf('c1', 'r1')[0]).toEqual({ type: 'start', messageId: 'existing-assistant' });
  });

  test('an error chunk from the source ends the turn as error; an abort adds one abort chunk', async () => {
    broker = createMockBroker();
    const failing = await publisherOn();
    failing.push({ type: 'error', errorText: 'model overloaded' });
    expect(await failing.finish('done')).toMatchObject({ state: 'error', error: 'model overloaded' });
    const stopped = await publisherOn({ requestId: 'r2' });
    stopped.push({ type: 'text-start', id: 't' });
    stopped.push({ type: 'abort' } as UIMessageChunk); // a source's own abort is not doubled
    await stopped.finish('aborted');
    expect(stopped.log.map((chunk) => chunk.type)).toEqual(['start', 'text-start', 'abort']);
  });

  test('the answer is persisted before the retained complete and the final status go out', async () => {
    broker = createMockBroker();
    const turn = await publisherOn();
    turn.push({ type: 'text-start', id: 't' });
    const seenAtPersist: Array<unknown> = [];
    await turn.finish('done', undefined, async (state) => {
      seenAtPersist.push(state, retained('complete'), decodeStatus(retained('status') ?? new Uint8Array()).ok);
    });
    expect(seenAtPersist).toEqual(['done', undefined, false]);
    const complete = decodeComplete(retained('complete')!);
    expect(complete.ok && complete.value.state).toBe('done');
  });

  test('one replay outstanding per client: a second one while the first is unacknowledged is refused', async () => {
    broker = createMockBroker({ latencyMs: 50 });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const connecting = publisherOn();
    await vi.advanceTimersByTimeAsync(60);
    const turn = await connecting;
    turn.push({ type: 'text-start', id: 't' });
    turn.replay(0, 'tab1');
    turn.replay(0, 'tab1'); // the broker has not acknowledged the first yet
    turn.replay(0, 'tab2'); // another client is not held up by tab1
    expect(turn.replays).toBe(2);
    expect(turn.replaysRefused).toBe(1);
    await vi.advanceTimersByTimeAsync(60);
    turn.replay(0, 'tab1');
    expect(turn.replays).toBe(3);
  });

  test('the per-client and per-turn budgets refuse replays past them', async () => {
    broker = createMockBroker();
    const turn = await publisherOn({ replayBudget: { perClient: 2, perTurn: 3 } });
    turn.push({ type: 'text-start', id: 't' });
    const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
    for (const client of ['a', 'a', 'a', 'b', 'c']) {
      turn.replay(0, client);
      await settle();
    }
    expect(turn.replays).toBe(3);
    expect(turn.replaysRefused).toBe(2);
  });

  test('a refusal publishes an error answer and status, neither retained', async () => {
    broker = createMockBroker();
    const tab = await watcher();
    await publishRefusal(await connectedClient(), topics, address, 'r9', 'Too many requests');
    const status = await tab.finalStatus('c1', 'r9');
    expect(status).toMatchObject({ state: 'error', error: 'Too many requests' });
    expect(tab.chunksOf('c1', 'r9')).toEqual([
      { type: 'start', messageId: 'msg_r9' },
      { type: 'error', errorText: 'Too many requests' },
    ]);
    expect(retained('status')).toBeUndefined();
    expect(retained('complete')).toBeUndefined();
  });
});
