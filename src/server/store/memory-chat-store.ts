/**
 * The chat store that keeps everything in this process: the worker's default (so the protocol is
 * the same without a database) and the reference the conformance suite holds the SQL store to.
 * Messages are copied in and out (`structuredClone`), so callers can never mutate stored state,
 * just as with a database.
 */
import type { UIMessage } from 'ai';
import type { ChatAddress } from '../../transport/topics.js';
import { MAX_VERSIONS_PER_PAGE, type ChatPage, type ChatSummary, type MessagePage, type MessageQuery, type StoredMessage, type StoredTurn, type StoredVersion } from '../../transport/conversation.js';
import type { ChatStore, MessageWrite, SaveMessagesOptions } from './chat-store.js';
import { firstTitle } from './chat-title.js';
import { selectPage } from './message-page.js';
import { checkAddress, checkListOptions, checkMessageQuery, checkSaveOptions, checkUserId, normalizeRenamedTitle, normalizeWrites } from './store-input.js';
import { ChatStoreClosedError } from './errors.js';

/** Options of {@link createMemoryChatStore}. */
export interface MemoryChatStoreOptions {
  /** The store's clock (ms since epoch) for `createdAt`/`updatedAt`. Default `Date.now`. */
  now?: () => number;
}

interface ChatRecord<UI extends UIMessage> {
  summary: ChatSummary;
  version: number;
  /** The version of the last save that removed messages (0 when none did). */
  truncatedAt: number;
  /** In position order; a message's index is its position. */
  messages: StoredMessage<UI>[];
  byId: Map<string, StoredMessage<UI>>;
  /** What edits and regenerations replaced, oldest first. */
  versions: StoredVersion<UI>[];
}

/** A {@link ChatStore} in memory: nothing survives the process. */
export function createMemoryChatStore<UI extends UIMessage = UIMessage>(options: MemoryChatStoreOptions = {}): ChatStore<UI> {
  const now = options.now ?? Date.now;
  const users = new Map<string, Map<string, ChatRecord<UI>>>();
  const lastStamp = new Map<string, number>();
  let closed = false;

  const open = () => {
    if (closed) throw new ChatStoreClosedError();
  };
  const chatOf = (address: ChatAddress) => users.get(address.userId)?.get(address.chatId);
  // Strictly increasing per user, so `updatedAt` is an exact paging cursor for listChats.
  const stamp = (userId: string) => {
    const value = Math.max(now(), (lastStamp.get(userId) ?? 0) + 1);
    lastStamp.set(userId, value);
    return value;
  };
  const copy = <T,>(value: T): T => structuredClone(value);

  return {
    async loadMessages(address: ChatAddress, query?: MessageQuery): Promise<MessagePage<UI>> {
      open();
      checkAddress(address);
      const q = checkMessageQuery(query);
      const chat = chatOf(address);
      if (!chat) return { messages: [], version: 0, hasOlder: false };
      const page = selectPage(chat.messages, q);
      const newest = q.after === undefined && q.before === undefined && chat.versions.length > 0;
      return {
        messages: copy(page.messages),
        version: chat.version,
        hasOlder: page.hasOlder,
        ...(chat.truncatedAt > 0 ? { truncatedAt: chat.truncatedAt } : {}),
        ...(newest ? { versions: copy(chat.versions.slice(-MAX_VERSIONS_PER_PAGE)) } : {}),
      };
    },

    async saveMessages(address: ChatAddress, writes: readonly MessageWrite<UI>[], options?: SaveMessagesOptions) {
      open();
      checkAddress(address);
      const batch = normalizeWrites(writes);
      const { replaceFrom } = checkSaveOptions(options);
      let chats = users.get(address.userId);
      if (!chats) users.set(address.userId, (chats = new Map()));
      let chat = chats.get(address.chatId);
      const at = stamp(address.userId);
      if (!chat) {
        chat = { summary: { chatId: address.chatId, title: '', createdAt: at, updatedAt: at }, version: 0, truncatedAt: 0, messages: [], byId: new Map(), versions: [] };
        chats.set(address.chatId, chat);
      }
      chat.version += 1;
      chat.summary.updatedAt = at;
      if (replaceFrom !== undefined && replaceFrom < chat.messages.length) {
        const removed = chat.messages.splice(replaceFrom);
        for (const gone of removed) chat.byId.delete(gone.message.id);
        chat.versions.push({ branch: replaceFrom === 0 ? '' : chat.messages[replaceFrom - 1].message.id, messages: removed.map((m) => m.message), replacedAt: chat.version });
        chat.truncatedAt = chat.version;
      }
      for (const write of batch) {
        const existing = chat.byId.get(write.message.id);
        const stored: StoredMessage<UI> = {
          message: copy(write.message),
          position: existing?.position ?? chat.messages.length,
          version: chat.version,
          ...(write.turn ? { turn: copy(write.turn) } : {}),
        };
        if (existing) chat.messages[existing.position] = stored;
        else chat.messages.push(stored);
        chat.byId.set(stored.message.id, stored);
      }
      if (chat.summary.title === '') chat.summary.title = firstTitle(batch.map((w) => w.message)) ?? '';
      return { version: chat.version, chat: { ...chat.summary } };
    },

    async listChats(userId: string, options?: { before?: number; limit?: number }): Promise<ChatPage> {
      open();
      checkUserId(userId);
      const o = checkListOptions(options);
      const all = [...(users.get(userId)?.values() ?? [])]
        .map((c) => c.summary)
        .filter((s) => o.before === undefined || s.updatedAt < o.before)
        .sort((a, b) => b.updatedAt - a.updatedAt);
      const limit = o.limit ?? all.length;
      return { chats: all.slice(0, limit).map((s) => ({ ...s })), hasMore: all.length > limit };
    },

    async renameChat(address: ChatAddress, title: string) {
      open();
      checkAddress(address);
      const normalized = normalizeRenamedTitle(title);
      const chat = chatOf(address);
      if (!chat) return null;
      chat.summary.title = normalized;
      return { ...chat.summary };
    },

    async deleteChat(address: ChatAddress) {
      open();
      checkAddress(address);
      return users.get(address.userId)?.delete(address.chatId) ?? false;
    },

    async findTurn(address: ChatAddress, requestId: string) {
      open();
      checkAddress(address);
      const chat = chatOf(address);
      return chat ? copy(chat.messages.filter((m) => m.turn?.requestId === requestId)) : [];
    },

    async runningTurns() {
      open();
      const running: Array<ChatAddress & { messageId: string; turn: StoredTurn }> = [];
      for (const [userId, chats] of users) {
        for (const [chatId, chat] of chats) {
          for (const m of chat.messages) if (m.turn?.state === 'running') running.push({ userId, chatId, messageId: m.message.id, turn: copy(m.turn) });
        }
      }
      return running;
    },

    async close() {
      closed = true;
      users.clear();
    },
  };
}
