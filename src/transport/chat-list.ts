/**
 * The user's chats, newest first, kept live from `~/chats` events (another device creates, renames
 * or deletes a chat) and listed again after every reconnect (events sent while offline are gone).
 * Framework-free: `useChatList()` reads `store` and calls `rename` / `remove`.
 */
import type { ChatPage, ChatSummary } from './conversation.js';
import type { ChatEventEnvelope } from './envelope.js';
import { Store, type ReadableStore } from './store.js';

/** The user's chat list as `ChatListObserver.store` holds it. */
export interface ChatListSnapshot {
  status: 'idle' | 'loading' | 'ready' | 'error';
  /** Newest (`updatedAt`) first. */
  chats: readonly ChatSummary[];
  error: Error | null;
}

export interface ChatListOptions {
  list(fields: { before?: number; limit?: number }): Promise<ChatPage>;
  rename(chatId: string, title: string): Promise<{ chat: ChatSummary }>;
  remove(chatId: string): Promise<{ deleted: boolean }>;
  /** Subscribes the `~/chats` feed (re-subscribed on reconnects); returns the release. */
  watch(onEvent: (event: ChatEventEnvelope) => void, onReconnect: () => void): () => void;
  /** Chats per `list` page. */
  pageSize: number;
}

const INITIAL: ChatListSnapshot = { status: 'idle', chats: [], error: null };

/** Watches the user's chat list: loads it, then applies changes fanned out to every device. */
export class ChatListObserver {
  private readonly state = new Store<ChatListSnapshot>(INITIAL);
  readonly store: ReadableStore<ChatListSnapshot> = this.state;
  private refs = 0;
  private unwatch: (() => void) | null = null;
  /** Chats deleted by events during a listing: the listing may still name them. */
  private deletedDuringLoad = new Set<string>();
  private loading: Promise<void> | null = null;

  constructor(private readonly options: ChatListOptions) {}

  /** Keeps the list live until the returned release is called. */
  acquire(): () => void {
    this.refs++;
    if (this.refs === 1) {
      this.unwatch = this.options.watch(
        (event) => this.apply(event),
        () => void this.load(),
      );
      void this.load();
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.refs === 0) {
        this.unwatch?.();
        this.unwatch = null;
      }
    };
  }

  /** Renames a chat; the worker's answer (and its event) update every device's list. */
  async rename(chatId: string, title: string): Promise<void> {
    const { chat } = await this.options.rename(chatId, title);
    this.upsert(chat);
  }

  /** Deletes a chat and its messages. */
  async remove(chatId: string): Promise<void> {
    await this.options.remove(chatId);
    this.apply({ eventId: '', op: 'delete', chatId });
  }

  /** Lists every page again (first listing, and after a reconnect). */
  load(): Promise<void> {
    this.loading ??= this.listAll().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async listAll(): Promise<void> {
    this.deletedDuringLoad = new Set();
    if (this.state.getSnapshot().status !== 'ready') this.state.update({ status: 'loading' });
    try {
      const listed = new Map<string, ChatSummary>();
      let before: number | undefined;
      for (;;) {
        const page = await this.options.list({ before, limit: this.options.pageSize });
        for (const chat of page.chats) listed.set(chat.chatId, chat);
        if (!page.hasMore || page.chats.length === 0) break;
        before = page.chats[page.chats.length - 1].updatedAt;
      }
      // Events that arrived while listing are newer than the listing when their updatedAt says so.
      for (const chat of this.state.getSnapshot().chats) {
        const other = listed.get(chat.chatId);
        if (other && other.updatedAt < chat.updatedAt) listed.set(chat.chatId, chat);
      }
      for (const chatId of this.deletedDuringLoad) listed.delete(chatId);
      this.state.update({ status: 'ready', chats: sortChats([...listed.values()]), error: null });
    } catch (error) {
      this.state.update({ status: this.state.getSnapshot().status === 'ready' ? 'ready' : 'error', error: error as Error });
    }
  }

  private apply(event: ChatEventEnvelope): void {
    if (event.op === 'upsert') return this.upsert(event.chat);
    this.deletedDuringLoad.add(event.chatId);
    const chats = this.state.getSnapshot().chats;
    if (chats.some((c) => c.chatId === event.chatId)) this.state.update({ chats: chats.filter((c) => c.chatId !== event.chatId) });
  }

  private upsert(chat: ChatSummary): void {
    this.deletedDuringLoad.delete(chat.chatId);
    const chats = this.state.getSnapshot().chats;
    const existing = chats.find((c) => c.chatId === chat.chatId);
    if (existing && existing.updatedAt > chat.updatedAt) return;
    this.state.update({ chats: sortChats([...chats.filter((c) => c.chatId !== chat.chatId), chat]) });
  }
}

function sortChats(chats: ChatSummary[]): ChatSummary[] {
  return chats.sort((a, b) => b.updatedAt - a.updatedAt || a.chatId.localeCompare(b.chatId));
}
