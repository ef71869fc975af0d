/**
 * ConversationSync against a scripted `history` answerer: a device that comes back after more
 * changed than one answer carries starts again from the newest page instead of merging a partial
 * set of changes into what it holds.
 */
import type { UIMessage } from 'ai';
import { describe, expect, test } from 'vitest';
import type { MessagePage, StoredMessage } from '../../src/transport/conversation.js';
import { ConversationSync } from '../../src/transport/conversation-sync.js';
import { createMemoryStorage } from '../../src/transport/index.js';
import { createMemoryChatStore } from '../../src/server/store/memory-chat-store.js';

const stored = (position: number, version: number, text = `m${position}`): StoredMessage => ({
  message: { id: `m${position}`, role: position % 2 === 0 ? 'user' : 'assistant', parts: [{ type: 'text', text }] } as UIMessage,
  position,
  version,
});

type HistoryQuery = { chatId: string; after?: number; before?: number; limit?: number };

function device(answer: (query: HistoryQuery) => MessagePage) {
  const asked: HistoryQuery[] = [];
  const sync = new ConversationSync('c1', {
    history: async (query) => {
      asked.push(query);
      return answer(query);
    },
    storage: createMemoryStorage(),
    cacheKey: async () => 'cache-c1',
    pageSize: 3,
    cacheLimit: 50,
  });
  return { sync, asked };
}

describe('ConversationSync', () => {
  test('messages removed elsewhere (an edit): the device drops what it held and loads again, and says so in `reloads`', async () => {
    let version = 4;
    let truncatedAt = 0;
    let all = [stored(0, 1), stored(1, 2), stored(2, 3), stored(3, 4)];
    const { sync, asked } = device((query) => {
      const range = all.filter((m) => (query.after === undefined || m.version > query.after) && (query.before === undefined || m.position < query.before));
      const page = range.slice(-(query.limit ?? range.length));
      return { messages: page, version, hasOlder: page.length < range.length, ...(truncatedAt ? { truncatedAt } : {}) };
    });
    await sync.sync();
    expect(sync.store.getSnapshot().reloads).toBe(0);
    // Another device edited m2: m3 is gone, m2 has new text, and a new answer m3b follows it.
    all = [stored(0, 1), stored(1, 2), stored(2, 5, 'edited'), { ...stored(3, 6, 'new answer'), message: { id: 'm3b', role: 'assistant', parts: [{ type: 'text', text: 'new answer' }] } as UIMessage }];
    version = 6;
    truncatedAt = 5;
    await sync.sync();
    expect(asked.at(-2)).toMatchObject({ after: 4 });
    expect(asked.at(-1)).toEqual({ chatId: 'c1', limit: 3 });
    const snapshot = sync.store.getSnapshot();
    expect(snapshot.messages.map((m) => m.message.id)).toEqual(['m1', 'm2', 'm3b']);
    expect(snapshot.reloads).toBe(1);
    // Later changes merge as usual: no further reload.
    all.push(stored(4, 7));
    version = 7;
    await sync.sync();
    expect(sync.store.getSnapshot().messages.map((m) => m.message.id)).toEqual(['m1', 'm2', 'm3b', 'm4']);
    expect(sync.store.getSnapshot().reloads).toBe(1);
  });

  test('earlier versions come with the newest page, stay through syncs, and survive a reload from the cache', async () => {
    const server = createMemoryChatStore();
    const address = { userId: 'u', chatId: 'c1' };
    const text = (id: string, role: 'user' | 'assistant', value: string) => ({ message: { id, role, parts: [{ type: 'text' as const, text: value }] } as UIMessage });
    await server.saveMessages(address, [text('q1', 'user', 'Lisbon?'), text('a1', 'assistant', 'Sunny')]);
    const storage = createMemoryStorage();
    const open = () =>
      new ConversationSync('c1', { history: (query) => server.loadMessages(address, query), storage, cacheKey: async () => 'cache-c1', pageSize: 10, cacheLimit: 50 });
    const phone = open();
    await phone.sync();
    expect(phone.store.getSnapshot().versions).toEqual([]);
    // Another device edits the prompt: the old prompt and answer become version 1 of the root.
    await server.saveMessages(address, [text('q1', 'user', 'Porto?')], { replaceFrom: 0 });
    await server.saveMessages(address, [text('a2', 'assistant', 'Rainy')]);
    await phone.sync();
    const edited = phone.store.getSnapshot();
    expect(edited.messages.map((m) => m.message.parts)).toEqual([[{ type: 'text', text: 'Porto?' }], [{ type: 'text', text: 'Rainy' }]]);
    expect(edited.versions.map((v) => [v.branch, v.messages.map((m) => m.id)])).toEqual([['', ['q1', 'a1']]]);
    // A sync with nothing removed keeps them (it carries none).
    await server.saveMessages(address, [text('q2', 'user', 'And Faro?')]);
    await phone.sync();
    expect(phone.store.getSnapshot().versions).toBe(edited.versions);
    // The page reloads: the cache gives them back before any answer, and the `after` sync keeps them.
    const reloaded = open();
    await reloaded.sync();
    expect(reloaded.store.getSnapshot().versions).toEqual(edited.versions);
    expect(reloaded.store.getSnapshot().messages.map((m) => m.message.id)).toEqual(['q1', 'a2', 'q2']);
  });

  test('a sync whose changes fit one answer merges them into what the device holds', async () => {
    let version = 4;
    const all = [stored(1, 1), stored(2, 2), stored(3, 3), stored(4, 4)];
    const { sync, asked } = device((query) => {
      if (query.after !== undefined) return { messages: all.filter((m) => m.version > query.after!), version, hasOlder: false };
      return { messages: all.slice(-3), version, hasOlder: true };
    });
    await sync.sync();
    all.push(stored(5, 5), stored(6, 6));
    version = 6;
    await sync.sync();
    expect(asked.at(-1)).toMatchObject({ after: 4 });
    expect(sync.store.getSnapshot().messages.map((m) => m.message.id)).toEqual(['m2', 'm3', 'm4', 'm5', 'm6']);
    expect(sync.store.getSnapshot().version).toBe(6);
  });

  test('more changes than one answer carries (hasOlder on an after query): the device starts again from the newest page', async () => {
    let version = 3;
    let all = [stored(1, 1), stored(2, 2), stored(3, 3)];
    const { sync, asked } = device((query) => {
      const changed = all.filter((m) => (query.after === undefined || m.version > query.after) && (query.before === undefined || m.position < query.before));
      const capped = changed.slice(-(query.limit ?? 3));
      return { messages: capped, version, hasOlder: capped.length < changed.length };
    });
    await sync.sync();
    expect(sync.store.getSnapshot().messages.map((m) => m.message.id)).toEqual(['m1', 'm2', 'm3']);
    // Away for long: the old messages were edited (new versions) and many new ones came.
    all = [stored(1, 10, 'edited'), stored(2, 11, 'edited'), stored(3, 12, 'edited'), ...Array.from({ length: 8 }, (_, i) => stored(4 + i, 13 + i))];
    version = 20;
    await sync.sync();
    const after = sync.store.getSnapshot();
    // The newest page only, current to version 20; nothing stale from before is kept.
    expect(after.messages.map((m) => m.message.id)).toEqual(['m9', 'm10', 'm11']);
    expect(after.version).toBe(20);
    expect(after.hasOlder).toBe(true);
    expect(asked.slice(-2)).toEqual([expect.objectContaining({ after: 3 }), expect.objectContaining({ limit: 3 })]);
    // Scrolling up pages the edited messages in with their new text.
    await sync.loadOlder();
    await sync.loadOlder();
    await sync.loadOlder();
    const texts = sync.store.getSnapshot().messages.map((m) => (m.message.parts[0] as { text: string }).text);
    expect(texts.slice(0, 3)).toEqual(['edited', 'edited', 'edited']);
  });
});
