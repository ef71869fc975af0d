/**
 * The SQL chat store on PGlite: the conformance suite (one database in a temp dir, a fresh schema
 * per test), and what the embedded engine adds: data survives closing and reopening the directory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createSqlChatStore } from '../../src/server/store/sql-chat-store.js';
import { createPgliteChatStore, createPgliteEngine } from '../../src/server/store/pglite-engine.js';
import { describeChatStoreConformance, user, assistant } from './conformance.js';

let dir: string;
let db: PGlite;
let schemas = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pglite-store-'));
  db = await PGlite.create(join(dir, 'shared'));
});
afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describeChatStoreConformance('PGlite', async ({ now }) => createSqlChatStore({ engine: createPgliteEngine(db), schema: `conformance_${++schemas}`, now }));

describe('PGlite chat store in a data directory', () => {
  it('keeps chats across closing and reopening the directory', async () => {
    const dataDir = join(dir, 'reopen', 'chats');
    const first = await createPgliteChatStore({ dataDir });
    await first.saveMessages({ userId: 'alice', chatId: 'trip' }, [{ message: user('u1', 'Plan a trip') }, { message: assistant('a1', 'Where to?') }]);
    await first.close();

    const second = await createPgliteChatStore({ dataDir });
    try {
      const page = await second.loadMessages({ userId: 'alice', chatId: 'trip' });
      expect(page.messages.map((m) => [m.message.id, m.position])).toEqual([
        ['u1', 0],
        ['a1', 1],
      ]);
      expect((await second.listChats('alice')).chats.map((c) => c.title)).toEqual(['Plan a trip']);
      const next = await second.saveMessages({ userId: 'alice', chatId: 'trip' }, [{ message: user('u2', 'Lisbon') }]);
      expect(next.version).toBe(2);
    } finally {
      await second.close();
    }
  });
});
