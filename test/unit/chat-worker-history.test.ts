/**
 * The worker's conversation contract on the mock broker: requests carry only what is new, the
 * worker loads and stores history, answers queries, stops a turn from any device, continues tool
 * calls into the same assistant message, and survives restarts and crashes with history intact.
 */
import { convertToModelMessages, streamText, type UIMessage, type UIMessageChunk } from 'ai';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createChatRequestHandler, createChatWorker, type ChatTurnHandler, type ChatWorker } from '../../src/server/index.js';
import { createMemoryChatStore } from '../../src/server/store/memory-chat-store.js';
import type { ChatStore } from '../../src/server/store/chat-store.js';
import { createMockBroker, createScriptedModel, scriptedChunkStream, type MockBroker } from '../../src/testing/index.js';
import type { ChatPage, MessagePage, TurnLookup } from '../../src/transport/conversation.js';
import { decodeStatus } from '../../src/transport/envelope.js';
import { ProtocolClient, topics, userText } from '../helpers/protocol-client.js';

let broker: MockBroker;
const workers: ChatWorker[] = [];

async function startWorker(options: { store: ChatStore; handler: ChatTurnHandler; workerId?: string }): Promise<ChatWorker> {
  const workerId = options.workerId ?? `w${workers.length}`;
  const worker = await createChatWorker({ client: broker.connect({ clientId: workerId }), workerId, store: options.store, handler: options.handler, rateLimit: false, probeTimeoutMs: 50 });
  workers.push(worker);
  return worker;
}

async function device(userId: string, clientId: string, chatId?: string): Promise<ProtocolClient> {
  const client = new ProtocolClient(broker.connect({ clientId }), userId, clientId);
  if (chatId) await client.open(chatId);
  else await client.openUser();
  return client;
}

const retainedStatus = (userId: string, chatId: string) => {
  const retained = broker.retained(topics.topic({ userId, chatId }, 'status'));
  const decoded = retained ? decodeStatus(retained.payload) : null;
  return decoded?.ok ? decoded.value : null;
};

const text = (message: UIMessage) => message.parts.map((part) => (part.type === 'text' ? part.text : '')).join('');

afterEach(async () => {
  for (const worker of workers.splice(0)) await worker.close();
  await broker?.close();
});

describe('server-authoritative history', () => {
  test('the 9th turn of a chat reaches the model with all 16 earlier messages, each request carrying only its prompt', async () => {
    broker = createMockBroker();
    const model = createScriptedModel({ texts: Array.from({ length: 9 }, (_, i) => `answer ${i + 1}`) });
    const store = createMemoryChatStore();
    await startWorker({ store, handler: async ({ messages, abortSignal }) => streamText({ model, messages: await convertToModelMessages(messages), abortSignal }) });
    const phone = await device('ann', 'phone', 'c1');
    for (let i = 1; i <= 9; i++) {
      const turn = await phone.turn('c1', `question ${i}`);
      expect(turn.status.state).toBe('done');
      expect(turn.text).toBe(`answer ${i}`);
    }
    const prompt = model.calls[8].prompt.filter((message) => message.role !== 'system');
    expect(prompt).toHaveLength(17);
    expect(prompt.map((message) => message.role)).toEqual([...Array.from({ length: 8 }, () => ['user', 'assistant']).flat(), 'user']);
    const page = await phone.result<MessagePage>({ op: 'history', chatId: 'c1' });
    expect(page.messages).toHaveLength(18);
    expect(page.messages.map((entry) => text(entry.message))).toEqual(Array.from({ length: 9 }, (_, i) => [`question ${i + 1}`, `answer ${i + 1}`]).flat());
    expect(page.messages.map((entry) => entry.position)).toEqual(Array.from({ length: 18 }, (_, i) => i));
  });

  test('a second device pages history newest first, then fetches only what changed after its cursor', async () => {
    broker = createMockBroker();
    const store = createMemoryChatStore();
    await startWorker({ store, handler: ({ messages, abortSignal }) => scriptedChunkStream({ text: `reply to ${text(messages.at(-1)!)}`, signal: abortSignal }) });
    const phone = await device('ann', 'phone', 'c1');
    for (let i = 1; i <= 5; i++) await phone.turn('c1', `q${i}`);
    const laptop = await device('ann', 'laptop');
    const newest = await laptop.result<MessagePage>({ op: 'history', chatId: 'c1', limit: 4 });
    expect(newest.messages.map((entry) => text(entry.message))).toEqual(['q4', 'reply to q4', 'q5', 'reply to q5']);
    expect(newest.hasOlder).toBe(true);
    const older = await laptop.result<MessagePage>({ op: 'history', chatId: 'c1', before: newest.messages[0].position, limit: 100 });
    expect(older.messages).toHaveLength(6);
    expect(older.hasOlder).toBe(false);
    await phone.turn('c1', 'q6');
    const since = await laptop.result<MessagePage>({ op: 'history', chatId: 'c1', after: newest.version });
    expect(since.messages.map((entry) => text(entry.message))).toEqual(['q6', 'reply to q6']);
  });

  test('a request can never rewrite history: re-sending a stored message id, or editing the answer, is refused and stores nothing', async () => {
    broker = createMockBroker();
    const store = createMemoryChatStore();
    await startWorker({ store, handler: ({ abortSignal }) => scriptedChunkStream({ text: 'ok', signal: abortSignal }) });
    const phone = await device('ann', 'phone', 'c1');
    const first = userText('hello');
    const id = await phone.send('c1', { messages: [first] });
    await phone.finalStatus('c1', id);
    const again = await phone.send('c1', { messages: [{ ...first, parts: [{ type: 'text', text: 'rewritten' }] }] });
    const refused = await phone.finalStatus('c1', again);
    expect(refused.state).toBe('error');
    // The refusal is not retained: the chat's retained status is still the answered turn's.
    expect(retainedStatus('ann', 'c1')).toMatchObject({ requestId: id, state: 'done' });
    const stored = (await store.loadMessages({ userId: 'ann', chatId: 'c1' })).messages;
    const answer = stored[1].message;
    const forged = await phone.send('c1', { messages: [{ ...answer, parts: [{ type: 'text', text: 'I never said that' }] }] });
    expect((await phone.finalStatus('c1', forged)).state).toBe('error');
    expect((await store.loadMessages({ userId: 'ann', chatId: 'c1' })).messages.map((entry) => text(entry.message))).toEqual(['hello', 'ok']);
  });
});

describe('edits and regenerations keep the store on the branch the user sees', () => {
  const texts = (page: MessagePage) => page.messages.map((entry) => text(entry.message));
  /** A worker over a scripted model answering `answers` in turn, and ann's phone on chat c1. */
  const modelChat = async (answers: string[]) => {
    broker = createMockBroker();
    const model = createScriptedModel({ texts: answers });
    await startWorker({ store: createMemoryChatStore(), handler: async ({ messages, abortSignal }) => streamText({ model, messages: await convertToModelMessages(messages), abortSignal }) });
    return { model, phone: await device('ann', 'phone', 'c1') };
  };

  test('editing an earlier prompt replaces it and drops what followed: the model and a reload see only the edited branch', async () => {
    const { model, phone } = await modelChat(['sunny', 'rainy', 'porto is windy']);
    await phone.turn('c1', 'lisbon?');
    const second = userText('tomorrow?');
    await phone.finalStatus('c1', await phone.send('c1', { messages: [second] }));
    const before = await phone.result<MessagePage>({ op: 'history', chatId: 'c1' });
    expect(texts(before)).toEqual(['lisbon?', 'sunny', 'tomorrow?', 'rainy']);

    // The AI SDK's edit: the same message id with new text, named by `messageId`.
    const edited = { ...second, parts: [{ type: 'text' as const, text: 'and porto?' }] };
    const editId = await phone.send('c1', { messages: [edited], messageId: second.id, parentId: before.messages[1].message.id });
    expect((await phone.finalStatus('c1', editId)).state).toBe('done');
    const prompt = model.calls[2].prompt.filter((message) => message.role !== 'system');
    expect(prompt.map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
    expect(JSON.stringify(prompt)).not.toContain('tomorrow?');
    expect(JSON.stringify(prompt)).not.toContain('rainy');

    const after = await phone.result<MessagePage>({ op: 'history', chatId: 'c1' });
    expect(texts(after)).toEqual(['lisbon?', 'sunny', 'and porto?', 'porto is windy']);
    expect(after.messages[2].message.id).toBe(second.id);
    // What the edit replaced is kept, for every device's pager: the old prompt and its answer, after 'sunny'.
    expect(after.versions?.map((v) => [v.branch, v.messages.map(text)])).toEqual([[before.messages[1].message.id, ['tomorrow?', 'rainy']]]);
    // A device at the old cursor is told to load again rather than merge.
    const since = await phone.result<MessagePage>({ op: 'history', chatId: 'c1', after: before.version });
    expect(since.truncatedAt).toBeGreaterThan(before.version);

    // A prompt written under the removed version is refused and stores nothing.
    const stale = await phone.send('c1', { messages: [userText('more rain?')], parentId: before.messages[3].message.id });
    const refused = await phone.finalStatus('c1', stale);
    expect(refused.state).toBe('error');
    expect(refused.error).toMatch(/no longer stored/);
    expect(texts(await phone.result<MessagePage>({ op: 'history', chatId: 'c1' }))).toEqual(['lisbon?', 'sunny', 'and porto?', 'porto is windy']);
    // The refused prompt stays on that screen; the next prompt follows it, and is answered on the
    // stored branch (the refused one was never stored, so it belongs to no earlier version).
    const next = await phone.send('c1', { messages: [userText('thanks')], parentId: 'refused-prompt-id' });
    expect((await phone.finalStatus('c1', next)).state).toBe('done');
    expect(texts(await phone.result<MessagePage>({ op: 'history', chatId: 'c1' })).slice(0, 5)).toEqual(['lisbon?', 'sunny', 'and porto?', 'porto is windy', 'thanks']);
    // Only a prompt can be edited, and only one that is stored.
    const forged = await phone.send('c1', { messages: [userText('x')], messageId: 'not-stored' });
    expect((await phone.finalStatus('c1', forged)).state).toBe('error');
  });

  test('a regenerated answer replaces the old one under a new id; a refused prompt in a never-edited chat does not block the next', async () => {
    const { model, phone } = await modelChat(['first try', 'second try', 'next']);
    await phone.turn('c1', 'a poem');
    const old = (await phone.result<MessagePage>({ op: 'history', chatId: 'c1' })).messages[1].message;
    const again = await phone.send('c1', { trigger: 'regenerate-message', messageId: old.id, messages: [] });
    expect((await phone.finalStatus('c1', again)).state).toBe('done');
    const page = await phone.result<MessagePage>({ op: 'history', chatId: 'c1' });
    expect(texts(page)).toEqual(['a poem', 'second try']);
    expect(page.messages[1].message.id).not.toBe(old.id);
    expect(page.versions?.map((v) => [v.branch, v.messages.map(text)])).toEqual([[page.messages[0].message.id, ['first try']]]);
    expect(model.calls[1].prompt.filter((message) => message.role !== 'system').map((message) => message.role)).toEqual(['user']);

    // In a chat that never lost messages, a parent that is not stored is a prompt that was refused
    // (never stored): it must not block the next prompt.
    await phone.open('c2');
    await phone.turn('c2', 'hello');
    const next = await phone.send('c2', { messages: [userText('thanks')], parentId: 'a-refused-prompt' });
    expect((await phone.finalStatus('c2', next)).state).toBe('done');
  });
});

describe('user-level queries', () => {
  test('list, rename and delete, with chat events on every device; another user sees none of it', async () => {
    broker = createMockBroker();
    await startWorker({ store: createMemoryChatStore(), handler: ({ abortSignal }) => scriptedChunkStream({ text: 'fine', signal: abortSignal }) });
    const phone = await device('ann', 'phone', 'c1');
    const laptop = await device('ann', 'laptop');
    const mallory = await device('mallory', 'm1');
    await phone.turn('c1', 'plan a trip to Lisbon');
    await phone.open('c2');
    await phone.turn('c2', 'second chat');
    const list = await laptop.result<ChatPage>({ op: 'list' });
    expect(list.chats.map((chat) => chat.chatId)).toEqual(['c2', 'c1']);
    expect(list.chats[1].title).toBe('plan a trip to Lisbon');
    await laptop.until(() => laptop.chatEvents.find((event) => event.op === 'upsert' && event.chat.chatId === 'c2'), 'the c2 upsert');

    expect((await mallory.result<ChatPage>({ op: 'list' })).chats).toEqual([]);
    const stolen = await mallory.ask({ op: 'rename', chatId: 'c1', title: 'mine now' });
    expect('error' in stolen && stolen.error.code).toBe('not-found');

    await laptop.result({ op: 'rename', chatId: 'c1', title: 'Lisbon' });
    await phone.until(() => phone.chatEvents.find((event) => event.op === 'upsert' && event.chat.title === 'Lisbon'), 'the rename event');
    expect(await laptop.ask({ op: 'delete', chatId: 'c2' }, 'delete-c2')).toEqual({ queryId: 'delete-c2', result: { deleted: true } });
    // Re-asked (its answer was lost): the same answer, not "nothing deleted".
    expect(await laptop.ask({ op: 'delete', chatId: 'c2' }, 'delete-c2')).toEqual({ queryId: 'delete-c2', result: { deleted: true } });
    await phone.until(() => phone.chatEvents.find((event) => event.op === 'delete' && event.chatId === 'c2'), 'the delete event');
    expect((await phone.result<ChatPage>({ op: 'list' })).chats.map((chat) => [chat.chatId, chat.title])).toEqual([['c1', 'Lisbon']]);
    expect(mallory.chatEvents).toEqual([]);
  });

  test('turn lookups answer unknown, live with the last sequence, and finished with the stored answer', async () => {
    broker = createMockBroker();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await startWorker({
      store: createMemoryChatStore(),
      handler: ({ abortSignal }) =>
        new ReadableStream<UIMessageChunk>({
          async start(controller) {
            controller.enqueue({ type: 'start' });
            controller.enqueue({ type: 'text-start', id: 't' });
            controller.enqueue({ type: 'text-delta', id: 't', delta: 'half ' });
            await gate;
            if (!abortSignal.aborted) controller.enqueue({ type: 'text-delta', id: 't', delta: 'whole' });
            controller.enqueue({ type: 'text-end', id: 't' });
            controller.enqueue({ type: 'finish' });
            controller.close();
          },
        }),
    });
    const phone = await device('ann', 'phone', 'c1');
    expect(await phone.result<TurnLookup>({ op: 'turn', chatId: 'c1', requestId: 'nosuchturn' })).toEqual({ state: 'unknown' });
    const requestId = await phone.send('c1', { messages: [userText('hi')] });
    await phone.status('c1', requestId, 'generating');
    await phone.until(() => (phone.textOf('c1', requestId) === 'half ' ? true : null), 'the first delta');
    const live = await phone.result<TurnLookup>({ op: 'turn', chatId: 'c1', requestId });
    expect(live).toMatchObject({ state: 'live', messageId: `msg_${requestId}` });
    expect(live.state === 'live' && live.lastSeq).toBeGreaterThanOrEqual(2);
    release();
    await phone.finalStatus('c1', requestId);
    const finished = await phone.result<TurnLookup>({ op: 'turn', chatId: 'c1', requestId });
    expect(finished).toMatchObject({ state: 'finished', finalState: 'done' });
    expect(finished.state === 'finished' && finished.message && text(finished.message)).toBe('half whole');
  });

  test('queries over the per-user budget are answered rate-limited', async () => {
    broker = createMockBroker();
    const worker = await createChatWorker({ client: broker.connect({ clientId: 'w' }), handler: () => scriptedChunkStream({ text: 'x' }), queryRateLimit: { turns: 3, perMs: 60_000 }, probeTimeoutMs: 50 });
    workers.push(worker);
    const laptop = await device('ann', 'laptop');
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await laptop.ask({ op: 'list' }));
    expect(answers.map((answer) => ('error' in answer ? answer.error.code : 'ok'))).toEqual(['ok', 'ok', 'ok', 'rate-limited', 'rate-limited']);
    const other = await device('bob', 'b1');
    expect('result' in (await other.ask({ op: 'list' }))).toBe(true);
  });
});

describe('stop from any device', () => {
  test('Stop on device B aborts the model call of a turn started on device A; both see aborted and the partial is stored', async () => {
    broker = createMockBroker();
    const model = createScriptedModel({ text: Array.from({ length: 200 }, (_, i) => `w${i}`).join(' '), tokenDelayMs: 5 });
    const store = createMemoryChatStore();
    await startWorker({ store, handler: async ({ messages, abortSignal }) => streamText({ model, messages: await convertToModelMessages(messages), abortSignal }) });
    const deviceA = await device('ann', 'deviceA', 'c1');
    const deviceB = await device('ann', 'deviceB', 'c1');
    const requestId = await deviceA.send('c1', { messages: [userText('write a long answer')] });
    await deviceB.until(() => (deviceB.textOf('c1', requestId).split(' ').length > 5 ? true : null), 'a few words on device B');
    await deviceB.abort('c1', requestId);
    const [onA, onB] = await Promise.all([deviceA.finalStatus('c1', requestId), deviceB.finalStatus('c1', requestId)]);
    expect(onA.state).toBe('aborted');
    expect(onB.state).toBe('aborted');
    expect(model.aborted).toBe(1);
    const stored = (await store.loadMessages({ userId: 'ann', chatId: 'c1' })).messages;
    expect(stored.map((entry) => entry.message.role)).toEqual(['user', 'assistant']);
    expect(stored[1].turn?.state).toBe('aborted');
    const partial = text(stored[1].message);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial).toBe(deviceA.textOf('c1', requestId));
    expect(stored[1].message.id).toBe(`msg_${requestId}`);
  });
});

describe('tool continuations', () => {
  test('a client tool output continues the same assistant message: one message, its id on the start chunk', async () => {
    broker = createMockBroker();
    const store = createMemoryChatStore();
    const seen: UIMessage[][] = [];
    await startWorker({
      store,
      handler: ({ messages }) => {
        seen.push(messages);
        const last = messages.at(-1)!;
        const chunks: UIMessageChunk[] =
          last.role === 'user'
            ? [{ type: 'start' }, { type: 'tool-input-available', toolCallId: 'call1', toolName: 'getLocation', input: {} }, { type: 'finish' }]
            : [{ type: 'start' }, { type: 'text-start', id: 't' }, { type: 'text-delta', id: 't', delta: 'You are in Lisbon.' }, { type: 'text-end', id: 't' }, { type: 'finish' }];
        return new ReadableStream({ start: (controller) => (chunks.forEach((chunk) => controller.enqueue(chunk)), controller.close()) });
      },
    });
    const phone = await device('ann', 'phone', 'c1');
    const first = await phone.turn('c1', 'where am I?');
    const stored = (await store.loadMessages({ userId: 'ann', chatId: 'c1' })).messages;
    const assistant = stored[1].message;
    expect(assistant.parts.find((part) => part.type === 'tool-getLocation')).toMatchObject({ state: 'input-available' });
    const withOutput: UIMessage = {
      ...assistant,
      parts: assistant.parts.map((part) => (part.type === 'tool-getLocation' ? { ...part, state: 'output-available', output: { city: 'Lisbon' } } : part)) as UIMessage['parts'],
    };
    const second = await phone.send('c1', { messages: [withOutput] });
    expect((await phone.finalStatus('c1', second)).state).toBe('done');
    expect(phone.chunksOf('c1', second)[0]).toEqual({ type: 'start', messageId: assistant.id });
    expect(seen[1].map((message) => message.role)).toEqual(['user', 'assistant']);
    const after = (await store.loadMessages({ userId: 'ann', chatId: 'c1' })).messages;
    expect(after).toHaveLength(2);
    expect(after[1].message.id).toBe(`msg_${first.requestId}`);
    expect(after[1].message.parts.find((part) => part.type === 'tool-getLocation')).toMatchObject({ state: 'output-available', output: { city: 'Lisbon' } });
    expect(text(after[1].message)).toBe('You are in Lisbon.');
  });
});

describe('restarts and crashes', () => {
  test('a worker restarted between turns answers the next turn with the whole stored history', async () => {
    broker = createMockBroker();
    const store = createMemoryChatStore();
    const prompts: number[] = [];
    const handler: ChatTurnHandler = ({ messages, abortSignal }) => {
      prompts.push(messages.length);
      return scriptedChunkStream({ text: `answer ${prompts.length}`, signal: abortSignal });
    };
    const first = await startWorker({ store, handler, workerId: 'svc-1' });
    const phone = await device('ann', 'phone', 'c1');
    await phone.turn('c1', 'one');
    await phone.turn('c1', 'two');
    await first.close();
    workers.splice(workers.indexOf(first), 1);
    await startWorker({ store, handler, workerId: 'svc-1' });
    expect((await phone.turn('c1', 'three')).status.state).toBe('done');
    expect(prompts).toEqual([1, 3, 5]);
  });

  test('a worker that dies mid-turn: a live worker marks the turn failed for the store and every device; history is intact', async () => {
    broker = createMockBroker();
    const store = createMemoryChatStore();
    const crashing = await createChatWorker({
      client: broker.connect({ clientId: 'svc-a' }),
      workerId: 'svc-a',
      store,
      rateLimit: false,
      probeTimeoutMs: 50,
      // Never ends: the process "dies" before the turn does.
      handler: () => new ReadableStream<UIMessageChunk>({ start: (controller) => controller.enqueue({ type: 'start' }) }),
    });
    const phone = await device('ann', 'phone', 'c1');
    const requestId = await phone.send('c1', { messages: [userText('are you there?')] });
    await phone.status('c1', requestId, 'thinking');
    // The crash: the connection is gone and the broker publishes the worker's last will (empty presence).
    broker.dropClient('svc-a');
    broker.inject(topics.workerPresenceTopic('chat-workers', 'svc-a'), new Uint8Array(0), { retain: true, qos: 1 });
    const survivor = await startWorker({ store, handler: ({ abortSignal }) => scriptedChunkStream({ text: 'back', signal: abortSignal }), workerId: 'svc-b' });
    expect(await survivor.sweep()).toBe(1);
    expect((await phone.finalStatus('c1', requestId)).state).toBe('error');
    expect(retainedStatus('ann', 'c1')).toMatchObject({ requestId, state: 'error' });
    const stored = (await store.loadMessages({ userId: 'ann', chatId: 'c1' })).messages;
    expect(stored.map((entry) => [entry.message.role, entry.turn?.state])).toEqual([['user', 'error']]);
    expect(await phone.result<TurnLookup>({ op: 'turn', chatId: 'c1', requestId })).toMatchObject({ state: 'finished', finalState: 'error' });
    // The chat goes on: the next turn sees the stored prompt of the failed one.
    expect((await phone.turn('c1', 'hello again')).status.state).toBe('done');
    expect((await store.loadMessages({ userId: 'ann', chatId: 'c1' })).messages).toHaveLength(3);
    void crashing; // its client is dead; nothing of it is closed
  });

  test('a request sent while the worker was disconnected is lost at the broker; the re-send is acknowledged and run once', async () => {
    broker = createMockBroker();
    let calls = 0;
    const client = broker.connect({ clientId: 'svc-w', reconnectPeriod: 20 });
    workers.push(await createChatWorker({ client, workerId: 'svc-w', store: createMemoryChatStore(), rateLimit: false, probeTimeoutMs: 50, handler: ({ abortSignal }) => (calls++, scriptedChunkStream({ text: 'here', signal: abortSignal })) }));
    const phone = await device('ann', 'phone', 'c1');
    broker.dropClient('svc-w');
    const message = userText('anyone?');
    const requestId = await phone.send('c1', { messages: [message] });
    await new Promise<void>((resolve) => client.on('connect', () => resolve()));
    // The dispatcher subscribed the worker's filters again; the client re-sends what was not acknowledged.
    await expect.poll(() => broker.subscriptions('svc-w').some((subscription) => subscription.topic.endsWith('/+/+/request'))).toBe(true);
    expect(calls).toBe(0);
    await phone.send('c1', { requestId, messages: [message] });
    await phone.status('c1', requestId, 'queued');
    expect((await phone.finalStatus('c1', requestId)).state).toBe('done');
    await phone.send('c1', { requestId, messages: [message] });
    await expect.poll(() => phone.recordOf('c1').statuses.filter((status) => status.requestId === requestId && status.state === 'done').length).toBe(2);
    expect(calls).toBe(1);
  });

  test('a request re-sent after a worker restart is answered from the store, not run twice', async () => {
    broker = createMockBroker();
    const store = createMemoryChatStore();
    let calls = 0;
    const handler: ChatTurnHandler = ({ abortSignal }) => (calls++, scriptedChunkStream({ text: 'once', signal: abortSignal }));
    const first = await startWorker({ store, handler });
    const phone = await device('ann', 'phone', 'c1');
    const message = userText('hi');
    const requestId = await phone.send('c1', { messages: [message] });
    await phone.finalStatus('c1', requestId);
    await first.close();
    workers.splice(workers.indexOf(first), 1);
    await startWorker({ store, handler });
    const before = phone.recordOf('c1').statuses.length;
    await phone.send('c1', { requestId, messages: [message] });
    await phone.until(() => (phone.recordOf('c1').statuses.slice(before).find((status) => status.requestId === requestId && status.state === 'done') ? true : null), 'the re-announced final state');
    expect(calls).toBe(1);
  });
});

describe('the HTTP trigger', () => {
  test('runs the turn through the same store: history from it, the answer stored before complete, queries answered by a worker on it', async () => {
    broker = createMockBroker();
    const store = createMemoryChatStore();
    const seen: number[] = [];
    const handler: ChatTurnHandler = ({ messages, abortSignal }) => (seen.push(messages.length), scriptedChunkStream({ text: `answer ${seen.length}`, signal: abortSignal }));
    const service = broker.connect({ clientId: 'svc-http' });
    await new Promise<void>((resolve) => service.on('connect', () => resolve()));
    const post = createChatRequestHandler({ client: service, store, handler, authenticate: (request) => request.headers.get('x-user'), rateLimit: false });
    await startWorker({ store, handler });
    const tab = await device('ann', 'tab', 'c1');
    for (const prompt of ['one', 'two']) {
      const requestId = `http_${prompt}`;
      const response = await post(
        new Request('http://app/api/chat', { method: 'POST', headers: { 'x-user': 'ann' }, body: JSON.stringify({ id: 'c1', requestId, trigger: 'submit-message', messages: [userText(prompt)] }) }),
      );
      expect(response.status).toBe(202);
      expect((await tab.finalStatus('c1', requestId)).state).toBe('done');
    }
    expect(seen).toEqual([1, 3]);
    const page = await tab.result<MessagePage>({ op: 'history', chatId: 'c1' });
    expect(page.messages.map((entry) => text(entry.message))).toEqual(['one', 'answer 1', 'two', 'answer 2']);
  });

  test('its running turn is live to every worker: a sweep and a turn lookup mid-answer leave it running, it ends exact; once the trigger closed, its stuck turn is swept', async () => {
    broker = createMockBroker();
    const store = createMemoryChatStore();
    // The answer is held half-way until the test lets it go: a worker's sweep and a lookup happen in between.
    let release!: () => void;
    const halfway = new Promise<void>((resolve) => (release = resolve));
    const handler: ChatTurnHandler = () =>
      new ReadableStream<UIMessageChunk>({
        async start(controller) {
          controller.enqueue({ type: 'start' });
          controller.enqueue({ type: 'text-start', id: 't' });
          controller.enqueue({ type: 'text-delta', id: 't', delta: 'first half, ' });
          await halfway;
          controller.enqueue({ type: 'text-delta', id: 't', delta: 'second half' });
          controller.enqueue({ type: 'text-end', id: 't' });
          controller.enqueue({ type: 'finish' });
          controller.close();
        },
      });
    const service = broker.connect({ clientId: 'svc-http' });
    await new Promise<void>((resolve) => service.on('connect', () => resolve()));
    const post = createChatRequestHandler({ client: service, store, handler, authenticate: (request) => request.headers.get('x-user'), rateLimit: false });
    const worker = await startWorker({ store, handler });
    const tab = await device('ann', 'tab', 'c1');
    const ask = (requestId: string) =>
      post(new Request('http://app/api/chat', { method: 'POST', headers: { 'x-user': 'ann' }, body: JSON.stringify({ id: 'c1', requestId, trigger: 'submit-message', messages: [userText('hi')] }) }));
    expect((await ask('http_live')).status).toBe(202);
    await tab.until(() => (tab.textOf('c1', 'http_live') === 'first half, ' ? true : null), 'the first half');
    // Before the fix the worker took the trigger's turn for a dead worker's and published it failed.
    expect(await worker.sweep()).toBe(0);
    expect((await tab.result<TurnLookup>({ op: 'turn', chatId: 'c1', requestId: 'http_live' })).state).toBe('live');
    release();
    expect((await tab.finalStatus('c1', 'http_live')).state).toBe('done');
    expect(tab.textOf('c1', 'http_live')).toBe('first half, second half');

    // A runner that left (or died) holds nothing: its turn still running in the store is failed.
    const stuck: ChatTurnHandler = () => new ReadableStream<UIMessageChunk>({ start: (controller) => controller.enqueue({ type: 'start' }) });
    const post2 = createChatRequestHandler({ client: service, store, handler: stuck, authenticate: (request) => request.headers.get('x-user'), rateLimit: false, workerId: 'http_gone' });
    const response = await post2(
      new Request('http://app/api/chat', { method: 'POST', headers: { 'x-user': 'ann' }, body: JSON.stringify({ id: 'c2', requestId: 'http_stuck', trigger: 'submit-message', messages: [userText('hi')] }) }),
    );
    expect(response.status).toBe(202);
    await vi.waitFor(async () => expect((await store.runningTurns()).map((entry) => entry.turn.requestId)).toContain('http_stuck'), { timeout: 10_000 });
    await post.close();
    await post2.close();
    await vi.waitFor(async () => expect(await worker.sweep()).toBe(1), { timeout: 10_000 });
    const lookup = await tab.result<TurnLookup>({ op: 'turn', chatId: 'c2', requestId: 'http_stuck' });
    expect(lookup).toMatchObject({ state: 'finished', finalState: 'error' });
  });
});
