/**
 * The SQL chat store's schema, as numbered migrations shipped in the package. {@link migrate}
 * applies the missing ones in order, in ONE transaction, after taking an advisory lock, so:
 * running it again changes nothing; two workers starting at once apply each migration once (the
 * second waits for the lock, then finds them applied); a failing migration leaves the schema as it was.
 *
 * Tables live in their own PostgreSQL schema (default `ai_chat_kit`), so they never collide with an
 * app's own `chats` or `messages`. Every key starts with `user_id`: rows of one user are only
 * reachable through that user's id. Append a migration to change the schema; never edit a shipped one.
 */
import type { SqlEngine } from './sql-engine.js';
import { ChatStoreError, ChatStoreMigrationError } from './errors.js';

/** One step of the schema; `statements` run in order inside the migration transaction. */
export interface ChatStoreMigration {
  version: number;
  name: string;
  statements: (schema: string) => string[];
}

/** The default PostgreSQL schema of the chat store's tables. */
export const DEFAULT_CHAT_STORE_SCHEMA = 'ai_chat_kit';

/** Every migration, oldest first. Versions are 1, 2, 3, ... without gaps. */
export const CHAT_STORE_MIGRATIONS: readonly ChatStoreMigration[] = [
  {
    version: 1,
    name: 'chats and messages',
    statements: (s) => [
      `CREATE TABLE ${s}.chats (
        user_id text NOT NULL,
        chat_id text NOT NULL,
        title text NOT NULL DEFAULT '',
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        version bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, chat_id)
      )`,
      `CREATE INDEX chats_by_user_updated ON ${s}.chats (user_id, updated_at DESC)`,
      `CREATE TABLE ${s}.messages (
        user_id text NOT NULL,
        chat_id text NOT NULL,
        message_id text NOT NULL,
        position integer NOT NULL,
        version bigint NOT NULL,
        message jsonb NOT NULL,
        turn jsonb,
        PRIMARY KEY (user_id, chat_id, message_id),
        UNIQUE (user_id, chat_id, position),
        FOREIGN KEY (user_id, chat_id) REFERENCES ${s}.chats (user_id, chat_id) ON DELETE CASCADE
      )`,
      `CREATE INDEX messages_by_version ON ${s}.messages (user_id, chat_id, version)`,
      `CREATE INDEX messages_by_request ON ${s}.messages (user_id, chat_id, (turn->>'requestId')) WHERE turn IS NOT NULL`,
      `CREATE INDEX messages_running ON ${s}.messages (user_id) WHERE turn->>'state' = 'running'`,
    ],
  },
  {
    version: 2,
    name: 'chats remember their last truncation',
    statements: (s) => [`ALTER TABLE ${s}.chats ADD COLUMN truncated_at bigint NOT NULL DEFAULT 0`],
  },
  {
    version: 3,
    name: 'earlier versions of edited and regenerated messages',
    statements: (s) => [
      `CREATE TABLE ${s}.versions (
        user_id text NOT NULL,
        chat_id text NOT NULL,
        replaced_at bigint NOT NULL,
        branch text NOT NULL,
        messages jsonb NOT NULL,
        PRIMARY KEY (user_id, chat_id, replaced_at),
        FOREIGN KEY (user_id, chat_id) REFERENCES ${s}.chats (user_id, chat_id) ON DELETE CASCADE
      )`,
    ],
  },
];

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Throws unless `schema` is a plain lower-case identifier (it is written into SQL unquoted). */
export function checkSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) throw new ChatStoreError('invalid-input', `schema must match ${SCHEMA_NAME} (got ${JSON.stringify(schema)})`);
}

/** What {@link migrate} did. */
export interface MigrationResult {
  /** Versions applied by this call (empty when the schema was up to date). */
  applied: number[];
  /** The schema's version afterwards (may exceed the newest known one if a newer package migrated it). */
  version: number;
}

/**
 * Brings `schema` up to date. Safe to call from every process at every start: serialised by a
 * transaction-scoped advisory lock keyed by the schema name, all-or-nothing in one transaction.
 */
export async function migrate(engine: SqlEngine, options: { schema?: string; migrations?: readonly ChatStoreMigration[]; now?: () => number } = {}): Promise<MigrationResult> {
  const schema = options.schema ?? DEFAULT_CHAT_STORE_SCHEMA;
  checkSchemaName(schema);
  const migrations = options.migrations ?? CHAT_STORE_MIGRATIONS;
  const now = options.now ?? Date.now;
  return engine.transaction(async (tx) => {
    // Before anything else: CREATE ... IF NOT EXISTS alone still races between two sessions.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ai-chat-kit:migrate:${schema}`]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await tx.query(`CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`);
    const rows = await tx.query<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations`);
    const done = new Set(rows.map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(migration.version)) continue;
      try {
        for (const statement of migration.statements(schema)) await tx.query(statement);
        await tx.query(`INSERT INTO ${schema}.schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, [migration.version, migration.name, now()]);
      } catch (error) {
        throw new ChatStoreMigrationError(migration.version, error);
      }
      applied.push(migration.version);
      done.add(migration.version);
    }
    return { applied, version: Math.max(0, ...done) };
  });
}
