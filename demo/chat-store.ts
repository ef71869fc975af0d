/**
 * Where the demo keeps its chats: an embedded PGlite directory (`npm run demo` uses
 * `.data/demo-chats` under the project), or memory when no directory is given (the end-to-end
 * tests, which must not touch a developer's demo chats). `fresh` empties the directory first, and
 * only a directory that is empty or holds a PostgreSQL cluster, so a mistyped path is never wiped.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMemoryChatStore, createPgliteChatStore, type ChatStore } from '../src/server/index.js';

/** `npm run demo`'s chat directory, relative to the project (gitignored). */
export const DEMO_CHATS_DIR = fileURLToPath(new URL('../.data/demo-chats', import.meta.url));

/** The store the demo opened and where its chats live (`dir` null: memory, gone at exit). */
export interface DemoChatStore {
  store: ChatStore;
  dir: string | null;
}

/** A directory the demo refuses to empty: it is neither empty nor a PostgreSQL data directory. */
export class NotAChatsDirectoryError extends Error {
  override readonly name = 'NotAChatsDirectoryError';
}

/** Opens the demo's chat store; `fresh` starts with no chats. */
export async function openDemoChatStore(options: { dir?: string | null; fresh?: boolean }): Promise<DemoChatStore> {
  if (!options.dir) return { store: createMemoryChatStore(), dir: null };
  const dir = resolve(options.dir);
  if (options.fresh && existsSync(dir)) {
    const entries = readdirSync(dir);
    if (entries.length > 0 && !entries.includes('PG_VERSION')) {
      throw new NotAChatsDirectoryError(`${dir} is not a chat store directory (no PG_VERSION); not emptying it. Pick another with --chats-dir.`);
    }
    for (const entry of entries) rmSync(join(dir, entry), { recursive: true, force: true });
  }
  return { store: await createPgliteChatStore({ dataDir: dir }), dir };
}
