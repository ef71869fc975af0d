/**
 * Holds the chat for the parts of one `ChatWindow.Root` behind a stable identity.
 *
 * Why not a context value: the chat changes with every token, and a changed context value makes
 * React walk the whole subtree under every memoized component that bails out, looking for
 * readers. With a thousand settled rows that walk cost more than rendering the live row. Parts
 * subscribe to this store instead (`useSyncExternalStore`), and the context value never changes.
 */
export class ChatStateStore<Chat> {
  private chat: Chat;
  private readonly listeners = new Set<() => void>();

  constructor(chat: Chat) {
    this.chat = chat;
  }

  /**
   * Records the chat the root is rendering with. Called during the root's render, before its
   * parts render, so parts rendered in the same pass read this value and need no second pass.
   */
  set(chat: Chat): void {
    this.chat = chat;
  }

  /**
   * Tells subscribers the committed chat may be new. Parts that already rendered with it are not
   * rendered again (`useSyncExternalStore` compares); memoized parts that skipped the pass are.
   */
  publish(): void {
    for (const listener of this.listeners) listener();
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): Chat => this.chat;
}
