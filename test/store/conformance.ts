/**
 * The chat store conformance suite: what every `ChatStore` must do, run against each adapter
 * (memory, PGlite, a real PostgreSQL). An app implementing its own store can run it too:
 * `describeChatStoreConformance('my store', (options) => createMyStore(options))`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { UIMessage } from 'ai';
import type { ChatStore, MessageWrite } from '../../src/server/store/chat-store.js';
import { ChatStoreClosedError, ChatStoreInputError } from '../../src/server/store/errors.js';
import { MAX_VERSIONS_PER_PAGE, type StoredTurn } from '../../src/transport/conversation.js';

/** Opens a fresh, empty store. `now` replaces the store's clock when given. */
export type OpenChatStore = (options: { now?: () => number }) => Promise<ChatStore>;

export const user = (id: string, text: string): UIMessage => ({ id, role: 'user', parts: [{ type: 'text', text }] });
export const assistant = (id: string, text: string): UIMessage => ({ id, role: 'assistant', parts: [{ type: 'text', text }] });
const write = (message: UIMessage, turn?: StoredTurn): MessageWrite => (turn ? { message, turn } : { message });
const ids = (page: { messages: { message: UIMessage }[] }) => page.messages.map((m) => m.message.id);

const alice = { userId: 'alice', chatId: 'chat-1' };
const bob = { userId: 'bob', chatId: 'chat-1' };

export function describeChatStoreConformance(name: string, open: OpenChatStore): void {
  describe(`ChatStore conformance: ${name}`, () => {
    const opened: ChatStore[] = [];
    const fresh = async (options: { now?: () => number } = {}) => {
      const store = await open(options);
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close();
    });

    it('an unknown chat is an empty page at version 0, and nothing else knows it', async () => {
      const store = await fresh();
      expect(await store.loadMessages(alice)).toEqual({ messages: [], version: 0, hasOlder: false });
      expect(await store.listChats('alice')).toEqual({ chats: [], hasMore: false });
      expect(await store.findTurn(alice, 'req-1')).toEqual([]);
      expect(await store.renameChat(alice, 'Renamed')).toBeNull();
      expect(await store.deleteChat(alice)).toBe(false);
      expect(await store.runningTurns()).toEqual([]);
    });

    it('appends new messages in the order written, each save bumping the version', async () => {
      const store = await fresh();
      const first = await store.saveMessages(alice, [write(user('u1', 'Hi'))]);
      const second = await store.saveMessages(alice, [write(assistant('a1', 'Hello'))]);
      const third = await store.saveMessages(alice, [write(user('u2', 'More')), write(assistant('a2', 'Sure'))]);
      expect([first.version, second.version, third.version]).toEqual([1, 2, 3]);
      const page = await store.loadMessages(alice);
      expect(page.version).toBe(3);
      expect(page.hasOlder).toBe(false);
      expect(page.messages.map((m) => [m.message.id, m.position, m.version])).toEqual([
        ['u1', 0, 1],
        ['a1', 1, 2],
        ['u2', 2, 3],
        ['a2', 3, 3],
      ]);
      expect(page.messages[1].message).toEqual(assistant('a1', 'Hello'));
    });

    it('re-saving the same message changes nothing but its version', async () => {
      const store = await fresh();
      await store.saveMessages(alice, [write(user('u1', 'Hi')), write(assistant('a1', 'Hello'))]);
      await store.saveMessages(alice, [write(user('u1', 'Hi'))]);
      const page = await store.loadMessages(alice);
      expect(ids(page)).toEqual(['u1', 'a1']);
      expect(page.messages[0]).toMatchObject({ message: user('u1', 'Hi'), position: 0, version: 2 });
      expect(page.messages[1]).toMatchObject({ position: 1, version: 1 });
    });

    it('replacing a message keeps its position and moves its version to the new chat version', async () => {
      const store = await fresh();
      await store.saveMessages(alice, [write(user('u1', 'Hi')), write(assistant('a1', 'partial'))]);
      await store.saveMessages(alice, [write(user('u2', 'Next'))]);
      const { version } = await store.saveMessages(alice, [write(assistant('a1', 'the whole answer'))]);
      const page = await store.loadMessages(alice);
      expect(ids(page)).toEqual(['u1', 'a1', 'u2']);
      expect(page.messages[1]).toEqual({ message: assistant('a1', 'the whole answer'), position: 1, version });
      expect(page.messages[2].version).toBe(2);
    });

    it('`after` a version returns only the messages written since, in chat order', async () => {
      const store = await fresh();
      await store.saveMessages(alice, [write(user('u1', 'Hi')), write(assistant('a1', 'partial'))]);
      const cursor = (await store.loadMessages(alice)).version;
      await store.saveMessages(alice, [write(user('u2', 'Next'))]);
      await store.saveMessages(alice, [write(assistant('a1', 'continued'))]);
      const changed = await store.loadMessages(alice, { after: cursor });
      expect(changed.messages.map((m) => [m.message.id, m.position])).toEqual([
        ['a1', 1],
        ['u2', 2],
      ]);
      expect(changed.messages[0].message).toEqual(assistant('a1', 'continued'));
      expect(changed.version).toBe(3);
      expect(await store.loadMessages(alice, { after: changed.version })).toEqual({ messages: [], version: 3, hasOlder: false });
    });

    it('`replaceFrom` removes the rest of the chat in the same save: an edited prompt keeps its place, the old tail is gone on every read', async () => {
      const store = await fresh();
      await store.saveMessages(alice, [write(user('u1', 'Hi')), write(assistant('a1', 'Hello')), write(user('u2', 'Lisbon?')), write(assistant('a2', 'Sunny'))]);
      const cursor = (await store.loadMessages(alice)).version;
      expect((await store.loadMessages(alice)).truncatedAt ?? 0).toBe(0);
      // The prompt at position 2 is edited: it keeps its id and place; its answer goes.
      const { version } = await store.saveMessages(alice, [write(user('u2', 'Porto?'))], { replaceFrom: 3 });
      const page = await store.loadMessages(alice);
      expect(page.messages.map((m) => [m.message.id, m.position])).toEqual([
        ['u1', 0],
        ['a1', 1],
        ['u2', 2],
      ]);
      expect(page.messages[2].message).toEqual(user('u2', 'Porto?'));
      expect(page.truncatedAt).toBe(version);
      // A device at the old cursor learns it must load again: `after` alone cannot say what was removed.
      const since = await store.loadMessages(alice, { after: cursor });
      expect(since.truncatedAt).toBeGreaterThan(cursor);
      expect(ids(since)).toEqual(['u2']);
      // The freed position goes to the next new message; a regenerated answer replaces the last one.
      await store.saveMessages(alice, [write(assistant('a2b', 'Rainy'))]);
      await store.saveMessages(alice, [], { replaceFrom: 3 });
      await store.saveMessages(alice, [write(assistant('a2c', 'Windy'))]);
      const after = await store.loadMessages(alice);
      expect(after.messages.map((m) => [m.message.id, m.position])).toEqual([
        ['u1', 0],
        ['a1', 1],
        ['u2', 2],
        ['a2c', 3],
      ]);
      expect(await store.findTurn(alice, 'nope')).toEqual([]);
      // Past the end removes nothing and is no truncation.
      const untouched = await store.saveMessages(bob, [write(user('b1', 'Hey'))], { replaceFrom: 5 });
      expect((await store.loadMessages(bob)).truncatedAt ?? 0).toBe(0);
      expect(untouched.version).toBe(1);
      await expect(store.saveMessages(alice, [], { replaceFrom: -1 })).rejects.toBeInstanceOf(ChatStoreInputError);
    });

    it('what `replaceFrom` removes is kept as an earlier version of its branch point, on the newest page only', async () => {
      const store = await fresh();
      await store.saveMessages(alice, [write(user('u1', 'Hi')), write(assistant('a1', 'Hello')), write(user('u2', 'Lisbon?')), write(assistant('a2', 'Sunny'))]);
      expect((await store.loadMessages(alice)).versions).toBeUndefined();
      // The second prompt is edited (it is replaced with its answer), then the new answer is regenerated.
      const edit = await store.saveMessages(alice, [write(user('u2', 'Porto?'))], { replaceFrom: 2 });
      await store.saveMessages(alice, [write(assistant('a2b', 'Rainy'))]);
      const regenerate = await store.saveMessages(alice, [], { replaceFrom: 3 });
      await store.saveMessages(alice, [write(assistant('a2c', 'Windy'))]);
      const page = await store.loadMessages(alice, { limit: 10 });
      expect(ids(page)).toEqual(['u1', 'a1', 'u2', 'a2c']);
      expect(page.messages.map((m) => m.position)).toEqual([0, 1, 2, 3]);
      expect(page.versions).toEqual([
        { branch: 'a1', messages: [user('u2', 'Lisbon?'), assistant('a2', 'Sunny')], replacedAt: edit.version },
        { branch: 'u2', messages: [assistant('a2b', 'Rainy')], replacedAt: regenerate.version },
      ]);
      // Replacing from the first message keeps the whole chat as a version of the root ('').
      await store.saveMessages(alice, [write(user('u1', 'Hello?'))], { replaceFrom: 0 });
      const root = await store.loadMessages(alice);
      expect(ids(root)).toEqual(['u1']);
      expect(root.versions?.at(-1)).toMatchObject({ branch: '', messages: [user('u1', 'Hi'), assistant('a1', 'Hello'), user('u2', 'Porto?'), assistant('a2c', 'Windy')] });
      // Syncs and older pages never carry them; another user never sees them; deleting the chat removes them.
      expect((await store.loadMessages(alice, { after: 1 })).versions).toBeUndefined();
      expect((await store.loadMessages(alice, { before: 1, limit: 5 })).versions).toBeUndefined();
      expect((await store.loadMessages({ userId: 'bob', chatId: alice.chatId })).versions).toBeUndefined();
      await store.deleteChat(alice);
      await store.saveMessages(alice, [write(user('n1', 'New'))]);
      expect((await store.loadMessages(alice)).versions).toBeUndefined();
    });

    it('the newest page carries at most MAX_VERSIONS_PER_PAGE versions, the most recently replaced', async () => {
      const store = await fresh();
      await store.saveMessages(alice, [write(user('u1', 'Hi'))]);
      for (let i = 0; i < MAX_VERSIONS_PER_PAGE + 3; i++) {
        await store.saveMessages(alice, [write(assistant(`a${i}`, `answer ${i}`))]);
        await store.saveMessages(alice, [], { replaceFrom: 1 });
      }
      const versions = (await store.loadMessages(alice)).versions ?? [];
      expect(versions).toHaveLength(MAX_VERSIONS_PER_PAGE);
      expect(versions[0].messages[0].id).toBe('a3');
      expect(versions.at(-1)!.messages[0].id).toBe(`a${MAX_VERSIONS_PER_PAGE + 2}`);
    });

    it('`limit` gives the newest page and `before` pages older ones, with hasOlder until the first message', async () => {
      const store = await fresh();
      await store.saveMessages(alice, Array.from({ length: 25 }, (_, i) => write(i % 2 === 0 ? user(`m${i}`, `q${i}`) : assistant(`m${i}`, `a${i}`))));
      const newest = await store.loadMessages(alice, { limit: 10 });
      expect(newest.messages.map((m) => m.position)).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
      expect(newest.hasOlder).toBe(true);
      const older = await store.loadMessages(alice, { before: newest.messages[0].position, limit: 10 });
      expect(older.messages.map((m) => m.position)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
      expect(older.hasOlder).toBe(true);
      const oldest = await store.loadMessages(alice, { before: older.messages[0].position, limit: 10 });
      expect(oldest.messages.map((m) => m.position)).toEqual([0, 1, 2, 3, 4]);
      expect(oldest.hasOlder).toBe(false);
      expect(ids(oldest)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
      expect((await store.loadMessages(alice, { limit: 25 })).hasOlder).toBe(false);
    });

    it('lists chats most recently written first, paging by updatedAt even when the clock stands still', async () => {
      const store = await fresh({ now: () => 1_700_000_000_000 });
      for (const chatId of ['c1', 'c2', 'c3', 'c4', 'c5']) await store.saveMessages({ userId: 'alice', chatId }, [write(user(`${chatId}-u`, `About ${chatId}`))]);
      await store.saveMessages({ userId: 'alice', chatId: 'c2' }, [write(assistant('c2-a', 'answer'))]);
      const pages: string[][] = [];
      let before: number | undefined;
      for (;;) {
        const page = await store.listChats('alice', { before, limit: 2 });
        pages.push(page.chats.map((c) => c.chatId));
        if (!page.hasMore) break;
        before = page.chats.at(-1)!.updatedAt;
      }
      expect(pages).toEqual([['c2', 'c5'], ['c4', 'c3'], ['c1']]);
      const all = await store.listChats('alice');
      expect(all.hasMore).toBe(false);
      expect(all.chats[0]).toMatchObject({ chatId: 'c2', title: 'About c2' });
      expect(all.chats[0].createdAt).toBeLessThan(all.chats[0].updatedAt);
    });

    it('titles a chat from its first prompt (whitespace collapsed, at most 80 characters) and keeps it', async () => {
      const store = await fresh();
      const long = `  Plan   a\ntrip ${'to the mountains and back '.repeat(6)}`;
      await store.saveMessages(alice, [write({ id: 'sys', role: 'system', parts: [{ type: 'text', text: 'Be brief.' }] })]);
      expect((await store.listChats('alice')).chats[0].title).toBe('');
      const saved = await store.saveMessages(alice, [write(user('u1', long))]);
      const expected = `Plan a trip ${'to the mountains and back '.repeat(6)}`.slice(0, 80).trimEnd();
      expect(saved.chat.title).toBe(expected);
      expect(saved.chat.title.length).toBeLessThanOrEqual(80);
      await store.saveMessages(alice, [write(user('u2', 'Something else'))]);
      expect((await store.listChats('alice')).chats[0].title).toBe(expected);

      const files = { userId: 'alice', chatId: 'chat-files' };
      await store.saveMessages(files, [write({ id: 'f1', role: 'user', parts: [{ type: 'file', mediaType: 'image/png', url: 'data:image/png;base64,AA==' }] })]);
      expect((await store.saveMessages(files, [write(user('f2', 'What is in it?'))])).chat.title).toBe('What is in it?');
    });

    it('renames a chat; later writes keep the new title', async () => {
      const store = await fresh();
      await store.saveMessages(alice, [write(user('u1', 'First prompt'))]);
      const renamed = await store.renameChat(alice, '  Holiday plans ');
      expect(renamed).toMatchObject({ chatId: 'chat-1', title: 'Holiday plans' });
      expect((await store.saveMessages(alice, [write(assistant('a1', 'ok'))])).chat.title).toBe('Holiday plans');
      expect((await store.listChats('alice')).chats.map((c) => c.title)).toEqual(['Holiday plans']);
      await expect(store.renameChat(alice, '   ')).rejects.toBeInstanceOf(ChatStoreInputError);
      expect((await store.listChats('alice')).chats[0].title).toBe('Holiday plans');
    });

    it('deletes a chat with its messages; the same id then starts a new, empty chat', async () => {
      const store = await fresh();
      await store.saveMessages(alice, [write(user('u1', 'Hi')), write(assistant('a1', 'Hello'))]);
      await store.saveMessages({ userId: 'alice', chatId: 'chat-2' }, [write(user('k1', 'Keep me'))]);
      expect(await store.deleteChat(alice)).toBe(true);
      expect(await store.loadMessages(alice)).toEqual({ messages: [], version: 0, hasOlder: false });
      expect((await store.listChats('alice')).chats.map((c) => c.chatId)).toEqual(['chat-2']);
      expect(await store.deleteChat(alice)).toBe(false);
      await store.saveMessages(alice, [write(user('n1', 'New start'))]);
      const page = await store.loadMessages(alice);
      expect(page.messages.map((m) => [m.message.id, m.position])).toEqual([['n1', 0]]);
      expect((await store.listChats('alice')).chats[0]).toMatchObject({ chatId: 'chat-1', title: 'New start' });
    });

    it("never lets one user load, list, rename, delete or overwrite another user's chat, even knowing its id", async () => {
      const store = await fresh();
      await store.saveMessages(alice, [write(user('u1', 'Secret plan'), { requestId: 'req-a', state: 'running', workerId: 'w1' })]);
      expect(await store.loadMessages(bob)).toEqual({ messages: [], version: 0, hasOlder: false });
      expect(await store.listChats('bob')).toEqual({ chats: [], hasMore: false });
      expect(await store.findTurn(bob, 'req-a')).toEqual([]);
      expect(await store.renameChat(bob, 'Owned')).toBeNull();
      expect(await store.deleteChat(bob)).toBe(false);
      // Bob writing "the same" chat id and message id creates his own chat, not a change to Alice's.
      await store.saveMessages(bob, [write(user('u1', 'Overwrite?'))]);
      const alicePage = await store.loadMessages(alice);
      expect(alicePage.messages.map((m) => m.message)).toEqual([user('u1', 'Secret plan')]);
      expect(alicePage.version).toBe(1);
      expect((await store.listChats('alice')).chats.map((c) => c.title)).toEqual(['Secret plan']);
      expect((await store.loadMessages(bob)).messages.map((m) => m.message)).toEqual([user('u1', 'Overwrite?')]);
      expect(await store.deleteChat(bob)).toBe(true);
      expect((await store.loadMessages(alice)).messages).toHaveLength(1);
    });

    it('keeps each message\'s turn: running turns are listed until their end is written, findTurn returns the turn\'s messages', async () => {
      const store = await fresh();
      await store.saveMessages(alice, [write(user('u0', 'Earlier'), { requestId: 'req-0', state: 'done' })]);
      await store.saveMessages(alice, [write(user('u1', 'Go'), { requestId: 'req-1', state: 'running', workerId: 'worker-a' })]);
      expect(await store.runningTurns()).toEqual([{ userId: 'alice', chatId: 'chat-1', messageId: 'u1', turn: { requestId: 'req-1', state: 'running', workerId: 'worker-a' } }]);
      expect((await store.findTurn(alice, 'req-1')).map((m) => m.message.id)).toEqual(['u1']);

      await store.saveMessages(alice, [
        write(user('u1', 'Go'), { requestId: 'req-1', state: 'aborted', workerId: 'worker-a' }),
        write(assistant('a1', 'Half an ans'), { requestId: 'req-1', state: 'aborted', workerId: 'worker-a' }),
      ]);
      expect(await store.runningTurns()).toEqual([]);
      const turn = await store.findTurn(alice, 'req-1');
      expect(turn.map((m) => [m.message.id, m.position, m.turn?.state])).toEqual([
        ['u1', 1, 'aborted'],
        ['a1', 2, 'aborted'],
      ]);
      expect(turn[1].message).toEqual(assistant('a1', 'Half an ans'));
      expect(await store.findTurn(alice, 'req-unknown')).toEqual([]);
      const error = await store.saveMessages(alice, [write(user('u2', 'Again'), { requestId: 'req-2', state: 'error', error: 'interrupted' })]);
      expect((await store.loadMessages(alice, { after: error.version - 1 })).messages[0].turn).toEqual({ requestId: 'req-2', state: 'error', error: 'interrupted' });
    });

    it('loses no message when many saves hit one chat at once', async () => {
      const store = await fresh();
      const count = 24;
      const results = await Promise.all(Array.from({ length: count }, (_, i) => store.saveMessages(alice, [write(user(`c${i}`, `concurrent ${i}`))])));
      const page = await store.loadMessages(alice);
      expect(page.messages).toHaveLength(count);
      expect(new Set(ids(page))).toEqual(new Set(Array.from({ length: count }, (_, i) => `c${i}`)));
      expect(page.messages.map((m) => m.position)).toEqual(Array.from({ length: count }, (_, i) => i));
      expect(new Set(results.map((r) => r.version)).size).toBe(count);
      expect(page.version).toBe(count);
    });

    it('round-trips a 500 KB message', async () => {
      const store = await fresh();
      const text = Array.from({ length: 500 * 1024 }, (_, i) => String.fromCharCode(32 + ((i * 7919) % 95))).join('') + ' ünïcødé 🚀';
      const big: UIMessage = { id: 'big', role: 'assistant', parts: [{ type: 'text', text }], metadata: { nested: { list: [1, 2.5, null, 'x'] } } };
      await store.saveMessages(alice, [write(big)]);
      const page = await store.loadMessages(alice);
      expect(page.messages[0].message).toEqual(big);
    });

    it('refuses bad input with a typed error and writes nothing', async () => {
      const store = await fresh();
      await expect(store.saveMessages({ userId: 'alice', chatId: 'a/b' }, [write(user('u1', 'x'))])).rejects.toBeInstanceOf(ChatStoreInputError);
      await expect(store.saveMessages({ userId: '+', chatId: 'chat-1' }, [write(user('u1', 'x'))])).rejects.toBeInstanceOf(ChatStoreInputError);
      await expect(store.saveMessages(alice, [write(user('u1', 'ok')), { message: { id: '', role: 'user', parts: [] } as UIMessage }])).rejects.toBeInstanceOf(ChatStoreInputError);
      await expect(store.saveMessages(alice, [{ message: { id: 'x', role: 'robot', parts: [] } as unknown as UIMessage }])).rejects.toBeInstanceOf(ChatStoreInputError);
      await expect(store.saveMessages(alice, [write(user('nul', 'a\u0000b'))])).rejects.toBeInstanceOf(ChatStoreInputError);
      await expect(store.saveMessages(alice, [write(user('u1', 'x'), { requestId: 'r', state: 'paused' as StoredTurn['state'] })])).rejects.toBeInstanceOf(ChatStoreInputError);
      await expect(store.loadMessages(alice, { limit: -1 })).rejects.toBeInstanceOf(ChatStoreInputError);
      await expect(store.listChats('alice', { before: 1.5 })).rejects.toBeInstanceOf(ChatStoreInputError);
      expect(await store.loadMessages(alice)).toEqual({ messages: [], version: 0, hasOlder: false });
      expect(await store.listChats('alice')).toEqual({ chats: [], hasMore: false });
    });

    it('is unusable after close, with a typed error', async () => {
      const store = await open({});
      await store.saveMessages(alice, [write(user('u1', 'Hi'))]);
      await store.close();
      await expect(store.loadMessages(alice)).rejects.toBeInstanceOf(ChatStoreClosedError);
      await expect(store.saveMessages(alice, [write(user('u2', 'x'))])).rejects.toBeInstanceOf(ChatStoreClosedError);
    });
  });
}
