/**
 * The chat store over PostgreSQL, one implementation for every engine (PGlite embedded, `pg` on a
 * server, or an app's own driver behind {@link SqlEngine}). Its schema comes from
 * `migrations.ts` and is brought up to date when the store is created.
 *
 * Every statement filters on `user_id` first (it leads every key), so a caller can only ever
 * reach rows of the user it names, and that user id is the caller-verified one.
 *
 * Writes to one user's chats are serialised by a transaction-scoped advisory lock on the user: a
 * write computes positions and the next version from what is stored, so two concurrent saves on
 * one chat must not interleave (neither loses its messages), and `updatedAt` stays strictly
 * increasing per user, which makes it an exact cursor for paging the chat list.
 */
import type { UIMessage } from 'ai';
import type { ChatAddress } from '../../transport/topics.js';
import { MAX_VERSIONS_PER_PAGE, type ChatPage, type ChatSummary, type MessagePage, type MessageQuery, type StoredMessage, type StoredTurn, type StoredVersion } from '../../transport/conversation.js';
import type { ChatStore, MessageWrite, SaveMessagesOptions } from './chat-store.js';
import type { SqlEngine } from './sql-engine.js';
import { firstTitle } from './chat-title.js';
import { checkAddress, checkListOptions, checkMessageQuery, checkSaveOptions, checkUserId, normalizeRenamedTitle, normalizeWrites } from './store-input.js';
import { checkSchemaName, DEFAULT_CHAT_STORE_SCHEMA, migrate } from './migrations.js';
import { ChatStoreClosedError } from './errors.js';

/** Options of {@link createSqlChatStore}. */
export interface SqlChatStoreOptions {
  /** The PostgreSQL connection. The store's `close()` calls the engine's `close()`. */
  engine: SqlEngine;
  /** PostgreSQL schema holding the tables. Default `ai_chat_kit`. */
  schema?: string;
  /** Apply the package's migrations before returning (default true). Turn off only if you run {@link migrate} yourself. */
  migrate?: boolean;
  /** The store's clock (ms since epoch) for `createdAt`/`updatedAt`. Default `Date.now`. */
  now?: () => number;
}

type MessageRow = { message: UIMessage; position: number; version: number | string; turn: StoredTurn | null };
type ChatRow = { chat_id: string; title: string; created_at: number | string; updated_at: number | string };

/** Creates the SQL chat store; resolves once the schema is up to date. */
export async function createSqlChatStore<UI extends UIMessage = UIMessage>(options: SqlChatStoreOptions): Promise<ChatStore<UI>> {
  const { engine } = options;
  const schema = options.schema ?? DEFAULT_CHAT_STORE_SCHEMA;
  checkSchemaName(schema);
  const now = options.now ?? Date.now;
  if (options.migrate !== false) await migrate(engine, { schema, now });
  const chats = `${schema}.chats`;
  const messages = `${schema}.messages`;
  const versions = `${schema}.versions`;
  let closed = false;
  const open = () => {
    if (closed) throw new ChatStoreClosedError();
  };

  const toStored = (row: MessageRow): StoredMessage<UI> => ({
    message: row.message as UI,
    position: Number(row.position),
    version: Number(row.version),
    ...(row.turn ? { turn: row.turn } : {}),
  });
  const toSummary = (row: ChatRow): ChatSummary => ({ chatId: row.chat_id, title: row.title, createdAt: Number(row.created_at), updatedAt: Number(row.updated_at) });

  return {
    async loadMessages(address: ChatAddress, query?: MessageQuery): Promise<MessagePage<UI>> {
      open();
      checkAddress(address);
      const q = checkMessageQuery(query);
      // The version is read BEFORE the messages: a write landing in between then shows up in the
      // messages but not in the version, and the next `after` fetch returns it again (harmless,
      // writes are idempotent by id). The other order could skip it for good.
      const chat = await engine.query<{ version: number | string; truncated_at: number | string }>(`SELECT version, truncated_at FROM ${chats} WHERE user_id = $1 AND chat_id = $2`, [address.userId, address.chatId]);
      if (chat.length === 0) return { messages: [], version: 0, hasOlder: false };
      const params: unknown[] = [address.userId, address.chatId];
      let where = 'user_id = $1 AND chat_id = $2';
      if (q.after !== undefined) where += ` AND version > $${params.push(q.after)}`;
      if (q.before !== undefined) where += ` AND position < $${params.push(q.before)}`;
      // One row past the limit tells whether the range holds older messages.
      const limit = q.limit !== undefined ? ` LIMIT $${params.push(q.limit + 1)}` : '';
      const rows = await engine.query<MessageRow>(`SELECT message, position, version, turn FROM ${messages} WHERE ${where} ORDER BY position DESC${limit}`, params);
      const hasOlder = q.limit !== undefined && rows.length > q.limit;
      const page = (hasOlder ? rows.slice(0, q.limit) : rows).reverse().map(toStored);
      const truncatedAt = Number(chat[0].truncated_at);
      let kept: StoredVersion<UI>[] = [];
      if (q.after === undefined && q.before === undefined && truncatedAt > 0) {
        const rows = await engine.query<{ branch: string; messages: UI[]; replaced_at: number | string }>(
          `SELECT branch, messages, replaced_at FROM ${versions} WHERE user_id = $1 AND chat_id = $2 ORDER BY replaced_at DESC LIMIT $3`,
          [address.userId, address.chatId, MAX_VERSIONS_PER_PAGE],
        );
        kept = rows.reverse().map((r) => ({ branch: r.branch, messages: r.messages, replacedAt: Number(r.replaced_at) }));
      }
      return { messages: page, version: Number(chat[0].version), hasOlder, ...(truncatedAt > 0 ? { truncatedAt } : {}), ...(kept.length > 0 ? { versions: kept } : {}) };
    },

    async saveMessages(address: ChatAddress, writes: readonly MessageWrite<UI>[], options?: SaveMessagesOptions) {
      open();
      checkAddress(address);
      const batch = normalizeWrites(writes);
      const { replaceFrom } = checkSaveOptions(options);
      const { userId, chatId } = address;
      return engine.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [schema, userId]);
        const [{ stamp }] = await tx.query<{ stamp: number | string }>(
          `SELECT greatest($2::bigint, coalesce(max(updated_at), 0) + 1) AS stamp FROM ${chats} WHERE user_id = $1`,
          [userId, now()],
        );
        const [row] = await tx.query<ChatRow & { version: number | string }>(
          `INSERT INTO ${chats} (user_id, chat_id, title, created_at, updated_at, version) VALUES ($1, $2, '', $3, $3, 1)
           ON CONFLICT (user_id, chat_id) DO UPDATE SET version = ${chats}.version + 1, updated_at = excluded.updated_at
           RETURNING chat_id, title, created_at, updated_at, version`,
          [userId, chatId, stamp],
        );
        const version = Number(row.version);
        if (replaceFrom !== undefined) {
          const removed = await tx.query<{ message: UIMessage; position: number }>(
            `DELETE FROM ${messages} WHERE user_id = $1 AND chat_id = $2 AND position >= $3 RETURNING message, position`,
            [userId, chatId, replaceFrom],
          );
          if (removed.length > 0) {
            await tx.query(`UPDATE ${chats} SET truncated_at = $3 WHERE user_id = $1 AND chat_id = $2`, [userId, chatId, version]);
            const [before] = await tx.query<{ message_id: string }>(
              `SELECT message_id FROM ${messages} WHERE user_id = $1 AND chat_id = $2 AND position < $3 ORDER BY position DESC LIMIT 1`,
              [userId, chatId, replaceFrom],
            );
            const replaced = removed.sort((a, b) => Number(a.position) - Number(b.position)).map((r) => r.message);
            await tx.query(`INSERT INTO ${versions} (user_id, chat_id, replaced_at, branch, messages) VALUES ($1, $2, $3, $4, $5::jsonb)`, [
              userId,
              chatId,
              version,
              before?.message_id ?? '',
              JSON.stringify(replaced),
            ]);
          }
        }
        if (batch.length > 0) {
          const ids = batch.map((w) => w.message.id);
          const known = await tx.query<{ message_id: string; position: number }>(
            `SELECT message_id, position FROM ${messages} WHERE user_id = $1 AND chat_id = $2 AND message_id = ANY($3::text[])`,
            [userId, chatId, ids],
          );
          const positions = new Map(known.map((k) => [k.message_id, Number(k.position)]));
          const [{ next }] = await tx.query<{ next: number | string }>(`SELECT coalesce(max(position) + 1, 0) AS next FROM ${messages} WHERE user_id = $1 AND chat_id = $2`, [userId, chatId]);
          let nextPosition = Number(next);
          const records = batch.map((w) => ({ id: w.message.id, position: positions.get(w.message.id) ?? nextPosition++, message: w.message, turn: w.turn ?? null }));
          // One statement for the whole batch; an existing id keeps its position (not in the UPDATE).
          await tx.query(
            `INSERT INTO ${messages} (user_id, chat_id, message_id, position, version, message, turn)
             SELECT $1, $2, x.id, x.position, $3, x.message, x.turn FROM jsonb_to_recordset($4::jsonb) AS x(id text, position integer, message jsonb, turn jsonb)
             ON CONFLICT (user_id, chat_id, message_id) DO UPDATE SET version = excluded.version, message = excluded.message, turn = excluded.turn`,
            [userId, chatId, version, JSON.stringify(records)],
          );
        }
        let title = row.title;
        if (title === '') {
          title = firstTitle(batch.map((w) => w.message)) ?? '';
          if (title !== '') await tx.query(`UPDATE ${chats} SET title = $3 WHERE user_id = $1 AND chat_id = $2`, [userId, chatId, title]);
        }
        return { version, chat: { ...toSummary(row), title } };
      });
    },

    async listChats(userId: string, options?: { before?: number; limit?: number }): Promise<ChatPage> {
      open();
      checkUserId(userId);
      const o = checkListOptions(options);
      const params: unknown[] = [userId];
      const before = o.before !== undefined ? ` AND updated_at < $${params.push(o.before)}` : '';
      const limit = o.limit !== undefined ? ` LIMIT $${params.push(o.limit + 1)}` : '';
      const rows = await engine.query<ChatRow>(`SELECT chat_id, title, created_at, updated_at FROM ${chats} WHERE user_id = $1${before} ORDER BY updated_at DESC${limit}`, params);
      const hasMore = o.limit !== undefined && rows.length > o.limit;
      return { chats: (hasMore ? rows.slice(0, o.limit) : rows).map(toSummary), hasMore };
    },

    async renameChat(address: ChatAddress, title: string) {
      open();
      checkAddress(address);
      const normalized = normalizeRenamedTitle(title);
      const rows = await engine.query<ChatRow>(`UPDATE ${chats} SET title = $3 WHERE user_id = $1 AND chat_id = $2 RETURNING chat_id, title, created_at, updated_at`, [
        address.userId,
        address.chatId,
        normalized,
      ]);
      return rows.length > 0 ? toSummary(rows[0]) : null;
    },

    async deleteChat(address: ChatAddress) {
      open();
      checkAddress(address);
      // Messages go with it (ON DELETE CASCADE).
      const rows = await engine.query(`DELETE FROM ${chats} WHERE user_id = $1 AND chat_id = $2 RETURNING chat_id`, [address.userId, address.chatId]);
      return rows.length > 0;
    },

    async findTurn(address: ChatAddress, requestId: string) {
      open();
      checkAddress(address);
      const rows = await engine.query<MessageRow>(
        `SELECT message, position, version, turn FROM ${messages} WHERE user_id = $1 AND chat_id = $2 AND turn IS NOT NULL AND turn->>'requestId' = $3 ORDER BY position`,
        [address.userId, address.chatId, requestId],
      );
      return rows.map(toStored);
    },

    async runningTurns() {
      open();
      const rows = await engine.query<{ user_id: string; chat_id: string; message_id: string; turn: StoredTurn }>(
        `SELECT user_id, chat_id, message_id, turn FROM ${messages} WHERE turn->>'state' = 'running' ORDER BY user_id, chat_id, position`,
      );
      return rows.map((r) => ({ userId: r.user_id, chatId: r.chat_id, messageId: r.message_id, turn: r.turn }));
    },

    async close() {
      if (closed) return;
      closed = true;
      await engine.close?.();
    },
  };
}
