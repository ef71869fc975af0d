/**
 * A {@link ChatStore} over an app's own two persistence callbacks, the pattern of the AI SDK's
 * chat persistence guide: load all messages of a chat, save the whole list. For apps that keep
 * chats in their own database and do not want to implement the full interface.
 *
 * What two callbacks cannot give, and how this adapter behaves instead:
 * - No per-message versions: every message of a page carries the chat's version, and `after` is
 *   ignored, so each sync returns the whole range (a superset: devices merge by id, nothing is lost,
 *   only bytes are spent).
 *   The version starts at 1 when this process first sees the chat and counts its writes.
 * - No turn records in the app's rows: turns (`findTurn`, `runningTurns`) are known for writes made
 *   by this process since it started. A crashed worker's running turns are therefore not swept.
 * - No earlier versions: an edit or a regeneration replaces messages in the app's list and the
 *   replaced ones are not kept, so pages carry no `versions` (the pager shows them only on the
 *   device that made the change, until it reloads).
 * - No chat list: `listChats`, `renameChat` and `deleteChat` throw
 *   {@link UnsupportedStoreOperationError} (the query responder answers `unavailable`).
 * - Writes to one chat are serialised in this process (load, merge, save); two processes writing
 *   the same chat at once can still overwrite each other, as with the callbacks alone.
 */
import type { UIMessage } from 'ai';
import type { ChatAddress } from '../../transport/topics.js';
import type { ChatSummary, MessagePage, MessageQuery, StoredMessage, StoredTurn } from '../../transport/conversation.js';
import type { ChatStore, MessageWrite, SaveMessagesOptions } from './chat-store.js';
import { firstTitle } from './chat-title.js';
import { selectPage } from './message-page.js';
import { checkAddress, checkMessageQuery, checkSaveOptions, normalizeWrites } from './store-input.js';
import { ChatStoreClosedError, ChatStoreInputError, UnsupportedStoreOperationError } from './errors.js';

/** The app's own persistence, as the AI SDK's persistence guide writes it. */
export interface ChatStoreCallbacks<UI extends UIMessage = UIMessage> {
  /** All messages of the chat, in order; an empty array for a chat that does not exist. */
  loadMessages(address: ChatAddress): Promise<UI[]>;
  /** Stores the chat's whole message list (replacing what was stored). */
  saveMessages(address: ChatAddress, messages: UI[]): Promise<void>;
}

/** Options of {@link fromCallbacks}. */
export interface CallbacksChatStoreOptions {
  /** Clock for the summaries' `createdAt`/`updatedAt` (ms since epoch). Default `Date.now`. */
  now?: () => number;
}

interface ChatState {
  version: number;
  /** The version of this process's last save that removed messages (0 when none did). */
  truncatedAt: number;
  createdAt: number;
  updatedAt: number;
  /** Turns of messages written by this process, by message id. */
  turns: Map<string, StoredTurn>;
  /** The tail of this chat's write queue. */
  queue: Promise<unknown>;
}

/** Adapts `loadMessages`/`saveMessages` callbacks into a {@link ChatStore} (see the module notes for its limits). */
export function fromCallbacks<UI extends UIMessage = UIMessage>(callbacks: ChatStoreCallbacks<UI>, options: CallbacksChatStoreOptions = {}): ChatStore<UI> {
  const now = options.now ?? Date.now;
  const states = new Map<string, ChatState>();
  let closed = false;
  const open = () => {
    if (closed) throw new ChatStoreClosedError();
  };
  const keyOf = (a: ChatAddress) => `${a.userId}/${a.chatId}`;
  const stateOf = (address: ChatAddress): ChatState => {
    let state = states.get(keyOf(address));
    if (!state) {
      const at = now();
      states.set(keyOf(address), (state = { version: 1, truncatedAt: 0, createdAt: at, updatedAt: at, turns: new Map(), queue: Promise.resolve() }));
    }
    return state;
  };
  const load = async (address: ChatAddress): Promise<UI[]> => {
    const list = await callbacks.loadMessages(address);
    if (!Array.isArray(list)) throw new ChatStoreInputError('the loadMessages callback must resolve to an array of messages');
    return list;
  };
  const stored = (list: readonly UI[], state: ChatState): StoredMessage<UI>[] => {
    const { version } = state;
    return list.map((message, position) => {
      const turn = state.turns.get(message.id);
      return { message, position, version, ...(turn ? { turn } : {}) };
    });
  };
  const unsupported = (operation: string) => {
    open();
    return Promise.reject(new UnsupportedStoreOperationError(operation, 'a store made of loadMessages/saveMessages callbacks has no chat list; implement ChatStore to offer it'));
  };

  return {
    async loadMessages(address: ChatAddress, query?: MessageQuery): Promise<MessagePage<UI>> {
      open();
      checkAddress(address);
      const { before, limit } = checkMessageQuery(query);
      const list = await load(address);
      if (list.length === 0) return { messages: [], version: states.get(keyOf(address))?.version ?? 0, hasOlder: false };
      const state = stateOf(address);
      const page = selectPage(stored(list, state), { before, limit });
      return { messages: page.messages, version: state.version, hasOlder: page.hasOlder, ...(state.truncatedAt > 0 ? { truncatedAt: state.truncatedAt } : {}) };
    },

    async saveMessages(address: ChatAddress, writes: readonly MessageWrite<UI>[], options?: SaveMessagesOptions) {
      open();
      checkAddress(address);
      const batch = normalizeWrites(writes);
      const { replaceFrom } = checkSaveOptions(options);
      const state = stateOf(address);
      const run = state.queue.then(async () => {
        const loaded = await load(address);
        const truncates = replaceFrom !== undefined && replaceFrom < loaded.length;
        const list = truncates ? loaded.slice(0, replaceFrom) : loaded;
        const index = new Map(list.map((m, i) => [m.id, i]));
        for (const write of batch) {
          const at = index.get(write.message.id);
          if (at === undefined) index.set(write.message.id, list.push(write.message) - 1);
          else list[at] = write.message;
        }
        await callbacks.saveMessages(address, list);
        for (const write of batch) if (write.turn) state.turns.set(write.message.id, write.turn);
        state.version += 1;
        if (truncates) state.truncatedAt = state.version;
        state.updatedAt = Math.max(now(), state.updatedAt + 1);
        const chat: ChatSummary = { chatId: address.chatId, title: firstTitle(list) ?? '', createdAt: state.createdAt, updatedAt: state.updatedAt };
        return { version: state.version, chat };
      });
      // The queue goes on after a failed write; the failure reaches this caller only.
      state.queue = run.catch(() => undefined);
      return await run;
    },

    listChats: () => unsupported('listChats'),
    renameChat: () => unsupported('renameChat'),
    deleteChat: () => unsupported('deleteChat'),

    async findTurn(address: ChatAddress, requestId: string) {
      open();
      checkAddress(address);
      const state = states.get(keyOf(address));
      if (!state || ![...state.turns.values()].some((t) => t.requestId === requestId)) return [];
      return stored(await load(address), state).filter((m) => m.turn?.requestId === requestId);
    },

    async runningTurns() {
      open();
      const running: Array<ChatAddress & { messageId: string; turn: StoredTurn }> = [];
      for (const [key, state] of states) {
        const [userId, chatId] = key.split('/');
        for (const [messageId, turn] of state.turns) if (turn.state === 'running') running.push({ userId, chatId, messageId, turn });
      }
      return running;
    },

    async close() {
      closed = true;
    },
  };
}
