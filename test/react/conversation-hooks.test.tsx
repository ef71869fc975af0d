/**
 * `useCloudSignalChat`'s history and `useChatList()` on the real transport and worker (in-memory
 * broker and chat store): a remount hydrates the stored conversation with the same ids, older pages
 * come with `loadOlder()`, a turn from another device lands in the same order, and the chat list
 * follows renames and deletes made elsewhere.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { renderHook, waitFor } from '@testing-library/react';
import { lastAssistantMessageIsCompleteWithApprovalResponses, lastAssistantMessageIsCompleteWithToolCalls, type UIMessage, type UIMessageChunk } from 'ai';
import { createChatWorker, type ChatWorker } from '../../src/server/index.js';
import { createMemoryChatStore } from '../../src/server/store/memory-chat-store.js';
import { createMockBroker, scriptedChunkStream, type MockBroker } from '../../src/testing/index.js';
import { CloudSignalChatTransport, createMemoryStorage, type KeyValueStorage } from '../../src/transport/index.js';
import { useCloudSignalChat } from '../../src/hooks/use-cloudsignal-chat.js';
import { useChatList } from '../../src/hooks/use-chat-list.js';
import { withoutActEnvironment } from './live-stack.js';

let broker: MockBroker;
let worker: ChatWorker;
const transports: CloudSignalChatTransport[] = [];
withoutActEnvironment();
afterEach(async () => {
  held = Promise.resolve();
  for (const transport of transports.splice(0)) transport.close();
  await worker?.close();
  broker?.close();
});

/** Model calls of the current test's worker. */
let turn = 0;
/** Turns wait for this before they stream (a test holds one to look at it while it is live). */
let held: Promise<void> = Promise.resolve();
async function setup() {
  broker = createMockBroker();
  turn = 0;
  worker = await createChatWorker({
    client: broker.connect({ clientId: 'worker-1' }),
    store: createMemoryChatStore(),
    handler: async ({ abortSignal }) => {
      const text = `answer ${++turn}`;
      await held;
      return scriptedChunkStream({ text, tokenDelayMs: 1, signal: abortSignal });
    },
    rateLimit: false,
  });
}

let devices = 0;
function open(storage: KeyValueStorage = createMemoryStorage(), historyPageSize?: number) {
  const transport = new CloudSignalChatTransport({ client: broker.connect({ clientId: `device-${++devices}` }), userId: 'ann', trigger: 'mqtt', storage, historyPageSize, queryRetryMs: 300 });
  transports.push(transport);
  return transport;
}

const textOf = (message: UIMessage | undefined) => (message?.parts ?? []).map((p) => (p.type === 'text' ? p.text : '')).join('');

describe('useCloudSignalChat history', () => {
  it('a remount (a reload) shows the stored messages with the same ids; older pages come with loadOlder()', async () => {
    await setup();
    const storage = createMemoryStorage();
    const firstTransport = open(storage);
    const first = renderHook(() => useCloudSignalChat({ id: 'c-hooks', transport: firstTransport }));
    await waitFor(() => expect(first.result.current.history.status).toBe('ready'));
    for (let i = 1; i <= 3; i++) {
      await first.result.current.sendMessage({ text: `q${i}` });
      await waitFor(() => expect(first.result.current.status).toBe('ready'));
    }
    const ids = first.result.current.messages.map((m) => m.id);
    expect(first.result.current.messages.map(textOf)).toEqual(['q1', 'answer 1', 'q2', 'answer 2', 'q3', 'answer 3']);
    first.unmount();

    // Another device, two messages per page: the newest first, the rest on demand.
    const secondTransport = open(createMemoryStorage(), 2);
    const second = renderHook(() => useCloudSignalChat({ id: 'c-hooks', transport: secondTransport }));
    expect(second.result.current.history.status).toBe('loading');
    await waitFor(() => expect(second.result.current.messages.map((m) => m.id)).toEqual(ids.slice(-2)));
    expect(second.result.current.history).toMatchObject({ status: 'ready', hasOlder: true });
    await second.result.current.history.loadOlder();
    await second.result.current.history.loadOlder();
    await waitFor(() => expect(second.result.current.messages.map((m) => m.id)).toEqual(ids));
    expect(second.result.current.history.hasOlder).toBe(false);

    // The first page reloads from its cache and the cursor.
    const reloadedTransport = open(storage);
    const reloaded = renderHook(() => useCloudSignalChat({ id: 'c-hooks', transport: reloadedTransport }));
    await waitFor(() => expect(reloaded.result.current.messages.map((m) => m.id)).toEqual(ids));

    // A turn on the second device: the reloaded page shows it, in the same order with the same ids.
    await second.result.current.sendMessage({ text: 'from the phone' });
    await waitFor(() => expect(second.result.current.status).toBe('ready'));
    const all = second.result.current.messages.map((m) => m.id);
    await waitFor(() => expect(reloaded.result.current.messages.map((m) => m.id)).toEqual(all), { timeout: 10_000 });
    expect(textOf(reloaded.result.current.messages.at(-1))).toBe('answer 4');
  }, 30_000);
});

describe('useCloudSignalChat edits', () => {
  it('an edit on one device replaces the branch everywhere: the other device and a reload show only the edited prompt and its new answer', async () => {
    await setup();
    const laptopTransport = open();
    const laptop = renderHook(() => useCloudSignalChat({ id: 'c-edit', transport: laptopTransport }));
    await waitFor(() => expect(laptop.result.current.history.status).toBe('ready'));
    for (const text of ['q1', 'q2']) {
      await laptop.result.current.sendMessage({ text });
      await waitFor(() => expect(laptop.result.current.status).toBe('ready'));
    }
    const phoneTransport = open();
    const phone = renderHook(() => useCloudSignalChat({ id: 'c-edit', transport: phoneTransport }));
    await waitFor(() => expect(phone.result.current.messages.map(textOf)).toEqual(['q1', 'answer 1', 'q2', 'answer 2']));

    // The laptop edits q1 (the AI SDK's edit: same id, `messageId`); the answer is held back.
    let release!: () => void;
    held = new Promise((resolve) => (release = resolve));
    const q1 = laptop.result.current.messages[0].id;
    void laptop.result.current.sendMessage({ text: 'q1, edited', messageId: q1 });
    // While the edited turn runs, the phone already shows the edited prompt with nothing after it.
    await waitFor(() => expect(phone.result.current.messages.map(textOf)).toEqual(['q1, edited']), { timeout: 10_000 });
    release();
    await waitFor(() => expect(laptop.result.current.messages.map(textOf)).toEqual(['q1, edited', 'answer 3']));
    // The phone drops the removed messages instead of merging around them.
    await waitFor(() => expect(phone.result.current.messages.map(textOf)).toEqual(['q1, edited', 'answer 3']), { timeout: 10_000 });
    expect(phone.result.current.messages[0].id).toBe(q1);

    // A fresh device (a reload elsewhere) sees the same.
    const tabletTransport = open();
    const tablet = renderHook(() => useCloudSignalChat({ id: 'c-edit', transport: tabletTransport }));
    await waitFor(() => expect(tablet.result.current.messages.map(textOf)).toEqual(['q1, edited', 'answer 3']));
  }, 30_000);
});

describe('useCloudSignalChat offline prompts', () => {
  it('a prompt sent offline is shown as pending, survives a reload, and is answered exactly once', async () => {
    await setup();
    const storage = createMemoryStorage();
    const offlineClient = broker.connect({ clientId: 'offline-page', reconnectPeriod: 0 });
    const firstTransport = new CloudSignalChatTransport({ client: offlineClient, userId: 'ann', trigger: 'mqtt', storage, queryRetryMs: 300 });
    transports.push(firstTransport);
    const first = renderHook(() => useCloudSignalChat({ id: 'c-offline', transport: firstTransport }));
    await waitFor(() => expect(first.result.current.history.status).toBe('ready'));
    broker.dropClient('offline-page'); // reconnectPeriod 0: it stays offline
    await waitFor(() => expect(first.result.current.connection.status).not.toBe('connected'));
    void first.result.current.sendMessage({ text: 'written on the train' });
    await waitFor(() => expect(first.result.current.pendingMessageIds).toHaveLength(1));
    const promptId = first.result.current.pendingMessageIds[0];
    expect(first.result.current.messages.map((m) => m.id)).toEqual([promptId]);
    first.unmount();
    firstTransport.close();

    // The reload comes back online: the same prompt is sent once and answered.
    const reloadedTransport = open(storage);
    const reloaded = renderHook(() => useCloudSignalChat({ id: 'c-offline', transport: reloadedTransport }));
    await waitFor(() => expect(reloaded.result.current.messages.map(textOf)).toEqual(['written on the train', 'answer 1']), { timeout: 10_000 });
    expect(reloaded.result.current.messages[0].id).toBe(promptId);
    await waitFor(() => expect(reloaded.result.current.pendingMessageIds).toEqual([]));
    expect(turn).toBe(1);
  }, 30_000);
});

describe('tool calls through useCloudSignalChat', () => {
  it('addToolOutput and addToolApprovalResponse continue the same assistant message: one message, each tool call once', async () => {
    broker = createMockBroker();
    // A scripted agent: ask for the client tool, then ask approval for a server tool, then answer.
    worker = await createChatWorker({
      client: broker.connect({ clientId: 'worker-1' }),
      store: createMemoryChatStore(),
      rateLimit: false,
      handler: ({ messages }) => {
        const last = messages.at(-1)!;
        const tools = last.role === 'assistant' ? (last.parts.filter((p) => p.type.startsWith('tool-')) as Array<{ state: string }>) : [];
        const chunks: UIMessageChunk[] = [{ type: 'start' }, { type: 'start-step' }];
        if (tools.length === 0) chunks.push({ type: 'tool-input-available', toolCallId: 'call-1', toolName: 'getLocation', input: {} });
        else if (tools.length === 1) chunks.push({ type: 'tool-input-available', toolCallId: 'call-2', toolName: 'bookTable', input: { at: 'Lyon' } }, { type: 'tool-approval-request', approvalId: 'ap-1', toolCallId: 'call-2' });
        else chunks.push({ type: 'text-start', id: 't' }, { type: 'text-delta', id: 't', delta: 'Booked in Lyon.' }, { type: 'text-end', id: 't' });
        chunks.push({ type: 'finish-step' }, { type: 'finish' });
        return new ReadableStream<UIMessageChunk>({
          start(controller) {
            for (const chunk of chunks) controller.enqueue(chunk);
            controller.close();
          },
        });
      },
    });
    const transport = open();
    const { result } = renderHook(() =>
      useCloudSignalChat({
        id: 'c-tools',
        transport,
        sendAutomaticallyWhen: ({ messages }) => lastAssistantMessageIsCompleteWithToolCalls({ messages }) || lastAssistantMessageIsCompleteWithApprovalResponses({ messages }),
      }),
    );
    await waitFor(() => expect(result.current.history.status).toBe('ready'));
    await result.current.sendMessage({ text: 'book me a table near me' });
    await waitFor(() => expect(result.current.messages.at(-1)?.parts.some((p) => p.type === 'tool-getLocation')).toBe(true), { timeout: 10_000 });
    await waitFor(() => expect(result.current.status).toBe('ready'));
    void result.current.addToolOutput({ tool: 'getLocation', toolCallId: 'call-1', output: { city: 'Lyon' } } as never);
    await waitFor(() => expect(result.current.messages.at(-1)?.parts.some((p) => p.type === 'tool-bookTable' && (p as { state: string }).state === 'approval-requested')).toBe(true), { timeout: 10_000 });
    await waitFor(() => expect(result.current.status).toBe('ready'));
    void result.current.addToolApprovalResponse({ id: 'ap-1', approved: true });
    await waitFor(() => expect(textOf(result.current.messages.at(-1))).toBe('Booked in Lyon.'), { timeout: 10_000 });
    await waitFor(() => expect(result.current.status).toBe('ready'));
    const roles = result.current.messages.map((m) => m.role);
    expect(roles).toEqual(['user', 'assistant']);
    const toolTypes = result.current.messages[1].parts.filter((p) => p.type.startsWith('tool-')).map((p) => p.type);
    expect(toolTypes).toEqual(['tool-getLocation', 'tool-bookTable']);
    // Every device (and a reload) sees the same one message.
    const otherTransport = open();
    const other = renderHook(() => useCloudSignalChat({ id: 'c-tools', transport: otherTransport }));
    await waitFor(() => expect(other.result.current.messages.map((m) => m.id)).toEqual(result.current.messages.map((m) => m.id)));
  }, 30_000);
});

describe('useChatList', () => {
  it('lists the chats newest first and follows renames and deletes made on another device', async () => {
    await setup();
    const laptop = open();
    const phone = open();
    const list = renderHook(() => useChatList(laptop));
    await waitFor(() => expect(list.result.current.status).toBe('ready'));
    expect(list.result.current.chats).toEqual([]);

    const chat = renderHook(() => useCloudSignalChat({ id: 'c-list-1', transport: phone }));
    await waitFor(() => expect(chat.result.current.history.status).toBe('ready'));
    await chat.result.current.sendMessage({ text: 'plan a trip to Lyon' });
    await waitFor(() => expect(list.result.current.chats.map((c) => c.chatId)).toEqual(['c-list-1']), { timeout: 10_000 });
    expect(list.result.current.chats[0].title).toContain('Lyon');

    const phoneList = renderHook(() => useChatList(phone));
    await waitFor(() => expect(phoneList.result.current.status).toBe('ready'));
    await phoneList.result.current.rename('c-list-1', 'Lyon weekend');
    await waitFor(() => expect(list.result.current.chats[0]?.title).toBe('Lyon weekend'), { timeout: 10_000 });

    await phoneList.result.current.remove('c-list-1');
    await waitFor(() => expect(list.result.current.chats).toEqual([]), { timeout: 10_000 });
    expect(phoneList.result.current.chats).toEqual([]);
  }, 30_000);
});
