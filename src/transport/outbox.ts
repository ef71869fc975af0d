/**
 * Prompts accepted while the connection is down, kept in storage so a reload does not lose them.
 * Each entry has its request id fixed when it is accepted: sending it once per connection, from any
 * tab, still runs it once (workers drop copies of a request id). An entry leaves the outbox when a
 * worker has shown the turn.
 */
import type { UIMessage } from 'ai';
import { readJson, writeJson, type KeyValueStorage } from './key-value-storage.js';

/** One prompt waiting to be sent. `messages` is what the request carries: only what is new. */
export interface OutboxEntry {
  requestId: string;
  userId: string;
  chatId: string;
  trigger: 'submit-message' | 'regenerate-message';
  messageId?: string;
  /** The message the prompt follows on screen ('' at the start): see `RequestEnvelope.parentId`. */
  parentId?: string;
  messages: UIMessage[];
  body?: Record<string, unknown>;
  /** Ms since epoch, for ordering. */
  enqueuedAt: number;
}

function isEntry(value: unknown): value is OutboxEntry {
  const e = value as OutboxEntry | null;
  return (
    e !== null &&
    typeof e === 'object' &&
    typeof e.requestId === 'string' &&
    typeof e.userId === 'string' &&
    typeof e.chatId === 'string' &&
    (e.trigger === 'submit-message' || e.trigger === 'regenerate-message') &&
    Array.isArray(e.messages) &&
    typeof e.enqueuedAt === 'number'
  );
}

const isEntryList = (value: unknown): value is OutboxEntry[] => Array.isArray(value) && value.every(isEntry);

export class Outbox {
  private entries: OutboxEntry[];

  constructor(
    private readonly storage: KeyValueStorage,
    private readonly key: string,
  ) {
    this.entries = readJson(storage, key, isEntryList) ?? [];
  }

  /** Entries of a user (and chat), oldest first. */
  list(userId: string, chatId?: string): OutboxEntry[] {
    return this.entries.filter((e) => e.userId === userId && (chatId === undefined || e.chatId === chatId));
  }

  has(requestId: string): boolean {
    return this.entries.some((e) => e.requestId === requestId);
  }

  add(entry: OutboxEntry): void {
    this.reload();
    if (this.has(entry.requestId)) return;
    this.entries = [...this.entries, entry];
    writeJson(this.storage, this.key, this.entries);
  }

  remove(requestId: string): void {
    this.reload();
    if (!this.has(requestId)) return;
    this.entries = this.entries.filter((e) => e.requestId !== requestId);
    if (this.entries.length === 0) this.storage.removeItem(this.key);
    else writeJson(this.storage, this.key, this.entries);
  }

  /** Another tab may have changed the outbox since: read it again before writing. */
  private reload(): void {
    this.entries = readJson(this.storage, this.key, isEntryList) ?? [];
  }
}
