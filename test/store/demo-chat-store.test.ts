/** The demo's chat directory: emptied by `--fresh`, and never a wrong directory. */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotAChatsDirectoryError, openDemoChatStore } from '../../demo/chat-store.js';
import { user } from './conformance.js';

const root = mkdtempSync(join(tmpdir(), 'demo-chats-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const address = { userId: 'guest-1', chatId: 'demo' };

describe('demo chat store', () => {
  // Reopening a directory keeps its chats: the PGlite suite shows it; here, what --fresh adds.
  it('starts with no chats when fresh, in the same directory', async () => {
    const dir = join(root, 'chats');
    const first = await openDemoChatStore({ dir });
    await first.store.saveMessages(address, [{ message: user('u1', 'Remember me') }]);
    expect((await first.store.listChats('guest-1')).chats).toHaveLength(1);
    await first.store.close();

    const fresh = await openDemoChatStore({ dir, fresh: true });
    expect(fresh.dir).toBe(dir);
    expect(await fresh.store.listChats('guest-1')).toEqual({ chats: [], hasMore: false });
    expect((await fresh.store.loadMessages(address)).messages).toEqual([]);
    await fresh.store.close();
  });

  it('refuses to empty a directory that is not a chat store, and leaves its files alone', async () => {
    const dir = join(root, 'documents');
    mkdirSync(dir);
    writeFileSync(join(dir, 'thesis.txt'), 'precious');
    await expect(openDemoChatStore({ dir, fresh: true })).rejects.toBeInstanceOf(NotAChatsDirectoryError);
    expect(existsSync(join(dir, 'thesis.txt'))).toBe(true);
  });

  it('keeps chats in memory when no directory is given', async () => {
    const chats = await openDemoChatStore({});
    expect(chats.dir).toBeNull();
    await chats.store.close();
  });
});
