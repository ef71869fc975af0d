/**
 * A hand-driven transport for hook and component tests: each `sendMessages` / `reconnectToStream`
 * returns a stream the test writes chunks into, and the connection and activity stores are plain
 * `Store`s the test updates. It satisfies the same `ChatKitTransport` surface as the real one.
 */
import type { UIMessage, UIMessageChunk } from 'ai';
import { Store } from '../../src/transport/store.js';
import { INITIAL_CONNECTION, type ConnectionSnapshot } from '../../src/transport/connection-state.js';
import { INITIAL_CHAT_ACTIVITY, type ChatActivitySnapshot } from '../../src/transport/chat-activity.js';
import type { ChatKitTransport } from '../../src/hooks/types.js';

export class FakeTurn {
  private controller!: ReadableStreamDefaultController<UIMessageChunk>;
  readonly stream: ReadableStream<UIMessageChunk>;
  cancelled = false;
  private textOpen = false;
  constructor(readonly kind: 'send' | 'reconnect', readonly options: Record<string, unknown>) {
    this.stream = new ReadableStream<UIMessageChunk>({
      start: (controller) => {
        this.controller = controller;
      },
      cancel: () => {
        this.cancelled = true;
      },
    });
    const signal = options.abortSignal as AbortSignal | undefined;
    signal?.addEventListener('abort', () => {
      this.cancelled = true;
      try {
        this.controller.error(new DOMException('aborted', 'AbortError'));
      } catch {
        /* already closed */
      }
    });
  }
  chunk(chunk: UIMessageChunk): this {
    this.controller.enqueue(chunk);
    return this;
  }
  start(messageId = 'a1'): this {
    return this.chunk({ type: 'start', messageId });
  }
  text(delta: string, id = 't1'): this {
    if (!this.textOpen) {
      this.textOpen = true;
      this.chunk({ type: 'text-start', id });
    }
    return this.chunk({ type: 'text-delta', id, delta });
  }
  finish(): this {
    if (this.textOpen) this.chunk({ type: 'text-end', id: 't1' });
    this.textOpen = false;
    this.chunk({ type: 'finish' });
    this.controller.close();
    return this;
  }
  fail(error: Error): void {
    this.controller.error(error);
  }
}

export class FakeTransport implements ChatKitTransport<UIMessage> {
  readonly resumeStreamIsReplay = true;
  readonly connection = new Store<ConnectionSnapshot>({ ...INITIAL_CONNECTION, status: 'connected', connectedAt: 1 });
  readonly activities = new Map<string, Store<ChatActivitySnapshot>>();
  readonly turns: FakeTurn[] = [];
  retained = 0;
  retries = 0;
  closed = false;
  /** When false, `reconnectToStream` answers null (no live turn). */
  hasLiveTurn = false;

  activity(chatId: string): Store<ChatActivitySnapshot> {
    let store = this.activities.get(chatId);
    if (!store) {
      store = new Store<ChatActivitySnapshot>(INITIAL_CHAT_ACTIVITY);
      this.activities.set(chatId, store);
    }
    return store;
  }
  chat(chatId: string) {
    return {
      store: this.activity(chatId),
      acquire: () => {
        this.retained++;
        return () => {
          this.retained--;
        };
      },
    };
  }
  retry(): void {
    this.retries++;
  }
  close(): void {
    this.closed = true;
  }
  async sendMessages(options: Parameters<ChatKitTransport['sendMessages']>[0]) {
    const turn = new FakeTurn('send', options as unknown as Record<string, unknown>);
    this.turns.push(turn);
    return turn.stream;
  }
  async reconnectToStream(options: Parameters<ChatKitTransport['reconnectToStream']>[0]) {
    if (!this.hasLiveTurn) return null;
    const turn = new FakeTurn('reconnect', options as unknown as Record<string, unknown>);
    this.turns.push(turn);
    return turn.stream;
  }
  get lastTurn(): FakeTurn {
    const turn = this.turns[this.turns.length - 1];
    if (!turn) throw new Error('no turn yet');
    return turn;
  }
  setConnection(patch: Partial<ConnectionSnapshot>): void {
    this.connection.update(patch);
  }
}

export function userMessage(id: string, text: string): UIMessage {
  return { id, role: 'user', parts: [{ type: 'text', text }] };
}
export function assistantMessage(id: string, text: string): UIMessage {
  return { id, role: 'assistant', parts: [{ type: 'text', text, state: 'done' }] };
}

/** Waits for pending stream reads and React updates to settle. */
export const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * How long a test waits for what it expects to see (`waitFor(…, WAIT)`, `findBy…(…, …, WAIT)`):
 * generous, so a saturated CPU makes a test slower, never red. A short `tick` is no such wait.
 */
export const WAIT = { timeout: 10_000 } as const;
