/**
 * The embedded engine: PGlite (`@electric-sql/pglite`, PostgreSQL compiled to WASM), data in a
 * directory, nothing to install or run. One process opens a directory at a time. PGlite is an
 * optional peer dependency, loaded only when {@link createPgliteChatStore} opens a directory, so
 * the server entry does not pull it in for apps that use another store.
 */
import { mkdirSync } from 'node:fs';
import type { UIMessage } from 'ai';
import type { ChatStore } from './chat-store.js';
import type { SqlEngine, SqlQueryable } from './sql-engine.js';
import { createSqlChatStore, type SqlChatStoreOptions } from './sql-chat-store.js';
import { ChatStoreError } from './errors.js';

/** The part of a PGlite instance the engine uses (structural, so no PGlite types leak into ours). */
export interface PgliteLike {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  transaction<T>(fn: (tx: { query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[] }> }) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Wraps an open PGlite; `owned` (default false) makes `close()` close it. */
export function createPgliteEngine(db: PgliteLike, options: { owned?: boolean } = {}): SqlEngine {
  const wrap = (q: { query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[] }> }): SqlQueryable => ({
    async query<Row extends Record<string, unknown>>(sql: string, params?: readonly unknown[]) {
      return (await q.query<Row>(sql, params ? [...params] : undefined)).rows;
    },
  });
  const base = wrap(db);
  return {
    query: base.query,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    async close() {
      if (options.owned) await db.close();
    },
  };
}

/** Options of {@link createPgliteChatStore}: a data directory, or a PGlite the app opened. */
export type PgliteChatStoreOptions = Omit<SqlChatStoreOptions, 'engine'> &
  (
    | {
        /** Directory of the database (created if missing). Omit for an in-memory database. */
        dataDir?: string;
        db?: never;
      }
    | {
        /** A PGlite the app opened; the store does not close it. */
        db: PgliteLike;
        dataDir?: never;
      }
  );

/** The SQL chat store on PGlite; resolves once the database is open and migrated. */
export async function createPgliteChatStore<UI extends UIMessage = UIMessage>(options: PgliteChatStoreOptions = {}): Promise<ChatStore<UI>> {
  const { dataDir, db, ...rest } = options;
  if (db) return createSqlChatStore<UI>({ ...rest, engine: createPgliteEngine(db) });
  let PGlite: { create(dataDir?: string): Promise<PgliteLike> };
  try {
    ({ PGlite } = (await import('@electric-sql/pglite')) as unknown as { PGlite: typeof PGlite });
  } catch (error) {
    throw new ChatStoreError('unsupported', 'createPgliteChatStore needs the optional peer dependency @electric-sql/pglite: npm install @electric-sql/pglite', { cause: error });
  }
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const opened = await PGlite.create(dataDir);
  try {
    return await createSqlChatStore<UI>({ ...rest, engine: createPgliteEngine(opened, { owned: true }) });
  } catch (error) {
    await opened.close();
    throw error;
  }
}
