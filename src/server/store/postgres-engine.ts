/**
 * The production engine: a PostgreSQL server through `pg` (node-postgres). `pg` is an optional
 * peer dependency, loaded only when {@link createPostgresChatStore} is given a connection string;
 * an app that already has a `pg.Pool` passes it instead (and keeps owning it).
 */
import type { UIMessage } from 'ai';
import type { ChatStore } from './chat-store.js';
import type { SqlEngine } from './sql-engine.js';
import { createSqlChatStore, type SqlChatStoreOptions } from './sql-chat-store.js';
import { ChatStoreError } from './errors.js';

type Rows = { rows: Record<string, unknown>[] };

/** The part of a `pg.Pool` the engine uses (structural, so no `pg` types leak into ours). */
export interface PgPoolLike {
  query(sql: string, params?: unknown[]): Promise<Rows>;
  connect(): Promise<{ query(sql: string, params?: unknown[]): Promise<Rows>; release(destroy?: boolean | Error): void }>;
  end(): Promise<void>;
}

/** Wraps a pool; `owned` (default false) makes `close()` end it. */
export function createPostgresEngine(pool: PgPoolLike, options: { owned?: boolean } = {}): SqlEngine {
  return {
    async query<Row extends Record<string, unknown>>(sql: string, params?: readonly unknown[]) {
      return (await pool.query(sql, params ? [...params] : undefined)).rows as Row[];
    },
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({ query: async <Row,>(sql: string, params?: readonly unknown[]) => (await client.query(sql, params ? [...params] : undefined)).rows as Row[] });
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (error) {
        // A connection whose ROLLBACK fails is in an unknown state: destroy it rather than reuse it.
        await client.query('ROLLBACK').then(
          () => client.release(),
          (rollbackError: Error) => client.release(rollbackError),
        );
        throw error;
      }
    },
    async close() {
      if (options.owned) await pool.end();
    },
  };
}

/** Options of {@link createPostgresChatStore}: a connection string (the store opens and ends its pool) or the app's pool. */
export type PostgresChatStoreOptions = Omit<SqlChatStoreOptions, 'engine'> &
  (
    | {
        /** `postgres://user:password@host:port/database`. */
        connectionString: string;
        /** Most connections the store's pool opens (default 10). */
        maxConnections?: number;
        pool?: never;
      }
    | {
        /** A `pg.Pool` the app owns; the store never ends it. */
        pool: PgPoolLike;
        connectionString?: never;
        maxConnections?: never;
      }
  );

/** The SQL chat store on a PostgreSQL server; resolves once connected and migrated. */
export async function createPostgresChatStore<UI extends UIMessage = UIMessage>(options: PostgresChatStoreOptions): Promise<ChatStore<UI>> {
  const { connectionString, pool, maxConnections, ...rest } = options;
  if (pool) return createSqlChatStore<UI>({ ...rest, engine: createPostgresEngine(pool) });
  let Pool: new (config: { connectionString: string; max?: number }) => PgPoolLike & { on(event: 'error', listener: (error: Error) => void): void };
  try {
    ({ Pool } = ((await import('pg')) as unknown as { default: { Pool: typeof Pool } }).default);
  } catch (error) {
    throw new ChatStoreError('unsupported', 'createPostgresChatStore needs the optional peer dependency pg: npm install pg', { cause: error });
  }
  const owned = new Pool({ connectionString: connectionString!, max: maxConnections ?? 10 });
  // An idle connection dropped by the server emits 'error' on the pool; unhandled it would crash the process.
  owned.on('error', () => undefined);
  try {
    return await createSqlChatStore<UI>({ ...rest, engine: createPostgresEngine(owned, { owned: true }) });
  } catch (error) {
    await owned.end();
    throw error;
  }
}
