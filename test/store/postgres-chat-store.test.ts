/**
 * The SQL chat store on a real PostgreSQL 15 the test starts itself (initdb + pg_ctl in a temp
 * dir, a free 127.0.0.1 port): the conformance suite (one pool, a fresh schema per test), and the
 * migrations: idempotent, safe when several processes start at once, all-or-nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createSqlChatStore } from '../../src/server/store/sql-chat-store.js';
import { createPostgresChatStore, createPostgresEngine } from '../../src/server/store/postgres-engine.js';
import { CHAT_STORE_MIGRATIONS, migrate } from '../../src/server/store/migrations.js';
import { ChatStoreError, ChatStoreMigrationError } from '../../src/server/store/errors.js';
import { startPostgres, type PostgresHandle } from '../helpers/postgres.js';
import { describeChatStoreConformance, user } from './conformance.js';

let server: PostgresHandle;
let pool: pg.Pool;
let schemas = 0;

beforeAll(async () => {
  server = await startPostgres();
  pool = new pg.Pool({ connectionString: server.connectionString, max: 8 });
});
afterAll(async () => {
  await pool?.end();
  await server?.stop();
});

describeChatStoreConformance('PostgreSQL', async ({ now }) => createPostgresChatStore({ pool, schema: `conformance_${++schemas}`, now }));

describe('PostgreSQL chat store', () => {
  it('opens its own pool from a connection string; data written through it is there for the next one', async () => {
    const store = await createPostgresChatStore({ connectionString: server.connectionString, schema: 'own_pool', maxConnections: 2 });
    await store.saveMessages({ userId: 'alice', chatId: 'c1' }, [{ message: user('u1', 'Hi') }]);
    await store.close();
    const reopened = await createPostgresChatStore({ connectionString: server.connectionString, schema: 'own_pool' });
    expect((await reopened.loadMessages({ userId: 'alice', chatId: 'c1' })).messages).toHaveLength(1);
    await reopened.close();
  });

  it('applies the migrations once, however often and however many processes start at once', async () => {
    const engines = Array.from({ length: 4 }, () => createPostgresEngine(pool));
    const results = await Promise.all(engines.map((engine) => migrate(engine, { schema: 'racing' })));
    const latest = CHAT_STORE_MIGRATIONS.at(-1)!.version;
    expect(results.flatMap((r) => r.applied).sort()).toEqual(CHAT_STORE_MIGRATIONS.map((m) => m.version));
    expect(results.every((r) => r.version === latest)).toBe(true);
    expect(await migrate(engines[0], { schema: 'racing' })).toEqual({ applied: [], version: latest });
    const { rows } = await pool.query('SELECT version FROM racing.schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(CHAT_STORE_MIGRATIONS.map((m) => m.version));
  });

  it('rolls a failing migration back whole and says which one failed', async () => {
    const broken = [
      ...CHAT_STORE_MIGRATIONS,
      { version: 99, name: 'broken', statements: (s: string) => [`CREATE TABLE ${s}.extra (id int)`, 'SELECT * FROM no_such_table'] },
    ];
    const error = await migrate(createPostgresEngine(pool), { schema: 'broken', migrations: broken }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatStoreMigrationError);
    expect((error as ChatStoreMigrationError).version).toBe(99);
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'broken'");
    expect(rows[0].n).toBe(0);
    // Without the broken step, the same schema migrates cleanly.
    expect((await migrate(createPostgresEngine(pool), { schema: 'broken' })).applied).toEqual(CHAT_STORE_MIGRATIONS.map((m) => m.version));
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(createSqlChatStore({ engine: createPostgresEngine(pool), schema: 'x; DROP TABLE y' })).rejects.toBeInstanceOf(ChatStoreError);
  });
});
