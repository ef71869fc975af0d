/**
 * `fromCallbacks`: an app's own `loadMessages` / `saveMessages` behind the ChatStore interface.
 * The app's "database" here is a Map holding whole message lists, as the AI SDK guide's files do.
 */
import { describe, expect, it } from 'vitest';
import type { UIMessage } from 'ai';
import { fromCallbacks } from '../../src/server/store/callbacks-chat-store.js';
import { ChatStoreInputError, UnsupportedStoreOperationError } from '../../src/server/store/errors.js';
import type { ChatAddress } from '../../src/transport/topics.js';
import { assistant, user } from './conformance.js';

function appDatabase() {
  const rows = new Map<string, UIMessage[]>();
  const key = (a: ChatAddress) => `${a.userId}:${a.chatId}`;
  let saves = 0;
  return {
    rows,
    get saves() {
      return saves;
    },
    callbacks: {
      loadMessages: async (address: ChatAddress) => structuredClone(rows.get(key(address)) ?? []),
      saveMessages: async (address: ChatAddress, messages: UIMessage[]) => {
        saves++;
        // A real database is slow: let other saves start meanwhile.
        await new Promise((resolve) => setImmediate(resolve));
        rows.set(key(address), structuredClone(messages));
      },
    },
  };
}

const alice = { userId: 'alice', chatId: 'chat-1' };

describe('fromCallbacks', () => {
  it('an edit saves the shortened list, and pages say a truncation happened so devices load again', async () => {
    const db = appDatabase();
    const store = fromCallbacks(db.callbacks);
    await store.saveMessages(alice, [{ message: user('u1', 'Hi') }, { message: assistant('a1', 'Hello') }, { message: user('u2', 'Lisbon?') }, { message: assistant('a2', 'Sunny') }]);
    const cursor = (await store.loadMessages(alice)).version;
    const { version } = await store.saveMessages(alice, [{ message: user('u2', 'Porto?') }], { replaceFrom: 3 });
    expect(db.rows.get('alice:chat-1')!.map((m) => m.id)).toEqual(['u1', 'a1', 'u2']);
    const page = await store.loadMessages(alice, { after: cursor });
    expect(page.truncatedAt).toBe(version);
    expect(page.messages.at(-1)!.message).toEqual(user('u2', 'Porto?'));
  });

  it('appends and replaces by id in the whole list the app saves, and loads pages of it', async () => {
    const db = appDatabase();
    const store = fromCallbacks(db.callbacks);
    const first = await store.saveMessages(alice, [{ message: user('u1', 'Hello there') }, { message: assistant('a1', 'partial') }]);
    expect(first.chat).toMatchObject({ chatId: 'chat-1', title: 'Hello there' });
    await store.saveMessages(alice, [{ message: user('u2', 'More') }]);
    await store.saveMessages(alice, [{ message: assistant('a1', 'complete') }]);
    expect(db.rows.get('alice:chat-1')).toEqual([user('u1', 'Hello there'), assistant('a1', 'complete'), user('u2', 'More')]);

    const newest = await store.loadMessages(alice, { limit: 2 });
    expect(newest.messages.map((m) => [m.message.id, m.position])).toEqual([
      ['a1', 1],
      ['u2', 2],
    ]);
    expect(newest.hasOlder).toBe(true);
    expect((await store.loadMessages(alice, { before: 1 })).messages.map((m) => m.message.id)).toEqual(['u1']);
  });

  it('answers `after` with the whole chat (it has no per-message versions), never with less', async () => {
    const db = appDatabase();
    const store = fromCallbacks(db.callbacks);
    await store.saveMessages(alice, [{ message: user('u1', 'Hi') }]);
    const { version } = await store.loadMessages(alice);
    await store.saveMessages(alice, [{ message: assistant('a1', 'Hello') }]);
    const sync = await store.loadMessages(alice, { after: version });
    expect(sync.messages.map((m) => m.message.id)).toEqual(['u1', 'a1']);
    expect(sync.version).toBeGreaterThan(version);
    // A cursor from before a restart (a new adapter over the same rows) still gets everything.
    expect((await fromCallbacks(db.callbacks).loadMessages(alice, { after: 1_000 })).messages).toHaveLength(2);
  });

  it('serialises saves to one chat, so concurrent saves lose nothing', async () => {
    const db = appDatabase();
    const store = fromCallbacks(db.callbacks);
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.saveMessages(alice, [{ message: user(`c${i}`, `m${i}`) }])));
    expect(db.rows.get('alice:chat-1')?.map((m) => m.id).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `c${i}`).sort());
  });

  it('knows the turns written through it', async () => {
    const store = fromCallbacks(appDatabase().callbacks);
    await store.saveMessages(alice, [{ message: user('u1', 'Go'), turn: { requestId: 'req-1', state: 'running', workerId: 'w' } }]);
    expect(await store.runningTurns()).toEqual([{ userId: 'alice', chatId: 'chat-1', messageId: 'u1', turn: { requestId: 'req-1', state: 'running', workerId: 'w' } }]);
    await store.saveMessages(alice, [
      { message: user('u1', 'Go'), turn: { requestId: 'req-1', state: 'done' } },
      { message: assistant('a1', 'Done'), turn: { requestId: 'req-1', state: 'done' } },
    ]);
    expect(await store.runningTurns()).toEqual([]);
    expect((await store.findTurn(alice, 'req-1')).map((m) => [m.message.id, m.turn?.state])).toEqual([
      ['u1', 'done'],
      ['a1', 'done'],
    ]);
  });

  it('refuses listing, renaming and deleting with UnsupportedStoreOperationError', async () => {
    const store = fromCallbacks(appDatabase().callbacks);
    await expect(store.listChats('alice')).rejects.toBeInstanceOf(UnsupportedStoreOperationError);
    await expect(store.renameChat(alice, 'x')).rejects.toMatchObject({ code: 'unsupported', operation: 'renameChat' });
    await expect(store.deleteChat(alice)).rejects.toBeInstanceOf(UnsupportedStoreOperationError);
  });

  it('refuses bad writes before calling the app, and a load callback that returns no array', async () => {
    const db = appDatabase();
    const store = fromCallbacks(db.callbacks);
    await expect(store.saveMessages(alice, [{ message: { id: 'x', role: 'user' } as UIMessage }])).rejects.toBeInstanceOf(ChatStoreInputError);
    expect(db.saves).toBe(0);
    const broken = fromCallbacks({ loadMessages: async () => null as unknown as UIMessage[], saveMessages: async () => undefined });
    await expect(broken.loadMessages(alice)).rejects.toBeInstanceOf(ChatStoreInputError);
  });
});
