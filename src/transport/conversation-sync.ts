/**
 * One chat's stored conversation on this device, kept up to date with `history` queries
 * (docs/protocol-conversations.md): the newest page first, older pages on demand, and afterwards
 * only what changed since the version this device holds (`after`). The messages and the cursor are
 * cached in storage, so a reload asks only for what it lacks. Framework-free: hooks read `store`.
 */
import type { UIMessage } from 'ai';
import type { MessagePage, StoredMessage, StoredVersion } from './conversation.js';
import { readJson, writeJson, type KeyValueStorage } from './key-value-storage.js';
import { Store, type ReadableStore } from './store.js';

/** Where the stored conversation is on this device. */
export interface HistorySnapshot<UI extends UIMessage = UIMessage> {
  /** `loading` until the first answer (or the cache) gave the newest messages. */
  status: 'idle' | 'loading' | 'ready' | 'error';
  /** Stored messages held here, in chat order. */
  messages: readonly StoredMessage<UI>[];
  /** The chat version these messages are current to (the `after` cursor); 0 before any. */
  version: number;
  /** Older messages exist in the store than the first one held. */
  hasOlder: boolean;
  /**
   * How often this device dropped what it held and loaded the chat again, because messages were
   * removed elsewhere (an edit or a regeneration on another device). A view that merges stored
   * messages by id must replace its messages with `messages` when this changes.
   */
  reloads: number;
  /**
   * Earlier versions of edited prompts and regenerated answers, oldest first, as the newest page
   * last gave them (a sync `after` a cursor carries none: nothing was replaced, or it reloads).
   */
  versions: readonly StoredVersion<UI>[];
  error: Error | null;
}

export interface ConversationSyncOptions {
  /** Asks a `history` query (the transport's query client). */
  history(fields: { chatId: string; after?: number; before?: number; limit?: number }): Promise<MessagePage>;
  storage: KeyValueStorage;
  /** Storage key of this chat's cache, once the user id is known. */
  cacheKey(): Promise<string>;
  /** Messages per page: the first screen, and each `loadOlder()`. */
  pageSize: number;
  /** At most this many messages are cached (the newest); the rest page in again. */
  cacheLimit: number;
}

interface CachedHistory {
  version: number;
  hasOlder: boolean;
  messages: StoredMessage[];
  versions?: StoredVersion[];
}

const isCache = (value: unknown): value is CachedHistory => {
  const c = value as CachedHistory | null;
  return c !== null && typeof c === 'object' && typeof c.version === 'number' && typeof c.hasOlder === 'boolean' && Array.isArray(c.messages);
};

const NO_VERSIONS: readonly StoredVersion[] = [];
const INITIAL: HistorySnapshot = { status: 'idle', messages: [], version: 0, hasOlder: false, reloads: 0, versions: NO_VERSIONS, error: null };

/** Keeps one chat's messages in step with the server's copy: hydrates by cursor, pages older messages, exposes a `store`. */
export class ConversationSync<UI extends UIMessage = UIMessage> {
  private readonly state = new Store<HistorySnapshot<UI>>(INITIAL as HistorySnapshot<UI>);
  readonly store: ReadableStore<HistorySnapshot<UI>> = this.state;
  private running: Promise<void> | null = null;
  private again = false;
  private loadedCache = false;
  private olderLoad: Promise<void> | null = null;

  constructor(
    readonly chatId: string,
    private readonly options: ConversationSyncOptions,
  ) {}

  /**
   * Brings the conversation up to date: from the cache and `after` its cursor when this device
   * holds a version, else the newest page. Concurrent calls share one run (plus one more if a
   * change was announced during it).
   */
  sync(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.run().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        void this.sync();
      }
    });
    return this.running;
  }

  /** Fetches the page before the oldest message held. Resolves at once when there is none. */
  loadOlder(): Promise<void> {
    const { messages, hasOlder } = this.state.getSnapshot();
    if (!hasOlder || messages.length === 0) return Promise.resolve();
    this.olderLoad ??= this.options
      .history({ chatId: this.chatId, before: messages[0].position, limit: this.options.pageSize })
      .then(
        async (page) => {
          const current = this.state.getSnapshot();
          this.state.update({ messages: merge(current.messages, page.messages as StoredMessage<UI>[]), hasOlder: page.hasOlder });
          await this.saveCache();
        },
        (error: Error) => this.state.update({ error }),
      )
      .finally(() => {
        this.olderLoad = null;
      });
    return this.olderLoad;
  }

  private async run(): Promise<void> {
    if (!this.loadedCache) await this.loadCache();
    const before = this.state.getSnapshot();
    if (before.status !== 'ready') this.state.update({ status: 'loading', error: null });
    try {
      const page =
        before.version > 0
          ? await this.options.history({ chatId: this.chatId, after: before.version })
          : await this.options.history({ chatId: this.chatId, limit: this.options.pageSize });
      const current = this.state.getSnapshot();
      const removed = before.version > 0 && (page.version < before.version || (page.truncatedAt ?? 0) > before.version);
      if (removed || (before.version > 0 && page.hasOlder)) {
        // The chat was deleted and started again, or messages were removed since this device's
        // version (what it holds may include them; `after` never names removals), or more changed
        // while away than one answer carries (the server caps every answer): start again from the
        // newest page; older messages page in on demand.
        const fresh = await this.options.history({ chatId: this.chatId, limit: this.options.pageSize });
        this.state.update({
          status: 'ready',
          messages: merge([], fresh.messages as StoredMessage<UI>[]),
          version: fresh.version,
          hasOlder: fresh.hasOlder,
          reloads: current.reloads + (removed ? 1 : 0),
          versions: versionsOf(fresh),
          error: null,
        });
      } else {
        this.state.update({
          status: 'ready',
          messages: merge(current.messages, page.messages as StoredMessage<UI>[]),
          version: Math.max(current.version, page.version),
          hasOlder: before.version > 0 ? current.hasOlder : page.hasOlder,
          versions: before.version > 0 ? current.versions : versionsOf(page),
          error: null,
        });
      }
      await this.saveCache();
    } catch (error) {
      // The cache, if any, is still shown; the next sync tries again.
      this.state.update({ status: this.state.getSnapshot().messages.length > 0 ? 'ready' : 'error', error: error as Error });
    }
  }

  private async loadCache(): Promise<void> {
    this.loadedCache = true;
    const cached = readJson(this.options.storage, await this.options.cacheKey(), isCache);
    if (!cached || cached.version <= this.state.getSnapshot().version) return;
    this.state.update({
      status: 'ready',
      messages: cached.messages as StoredMessage<UI>[],
      version: cached.version,
      hasOlder: cached.hasOlder,
      versions: Array.isArray(cached.versions) ? (cached.versions as StoredVersion<UI>[]) : (NO_VERSIONS as StoredVersion<UI>[]),
    });
  }

  private async saveCache(): Promise<void> {
    const { messages, version, hasOlder, versions } = this.state.getSnapshot();
    const kept = messages.slice(-this.options.cacheLimit);
    // Versions are cached too: a reload syncs `after` its cursor, which never carries them.
    writeJson(this.options.storage, await this.options.cacheKey(), { version, hasOlder: hasOlder || kept.length < messages.length, messages: kept, versions });
  }
}

function versionsOf<UI extends UIMessage>(page: MessagePage): readonly StoredVersion<UI>[] {
  return (page.versions as StoredVersion<UI>[] | undefined) ?? (NO_VERSIONS as StoredVersion<UI>[]);
}

/** Merges stored messages by id (a newer write replaces an older one), in chat order. */
export function merge<UI extends UIMessage>(held: readonly StoredMessage<UI>[], incoming: readonly StoredMessage<UI>[]): StoredMessage<UI>[] {
  const byId = new Map<string, StoredMessage<UI>>();
  for (const stored of held) byId.set(stored.message.id, stored);
  for (const stored of incoming) {
    const existing = byId.get(stored.message.id);
    if (!existing || existing.version <= stored.version) byId.set(stored.message.id, stored);
  }
  return [...byId.values()].sort((a, b) => a.position - b.position);
}
