import type { UIMessage } from 'ai';
import type { StoredVersion } from '../transport/conversation.js';

/** The root of a conversation, as a branch point: the first message has no predecessor. */
export const ROOT_BRANCH = '';

/** The alternatives kept after one branch point. */
export interface BranchVersions {
  /** Every version's messages after the branch point; the active one is stale (the chat holds it). */
  readonly tails: readonly (readonly UIMessage[])[];
  readonly active: number;
}

/** The versions of every branch point, by the id of the message before it. */
export type VersionsSnapshot = ReadonlyMap<string, BranchVersions>;

/**
 * Versions of a conversation after edits and regenerations, framework-free. A branch point is the
 * id of the message before the part that changed (the user message for a regenerated answer, the
 * message before an edited prompt). Each version is the list of messages that followed it. The
 * chat's own messages always hold the active version; switching swaps tails through
 * `setMessages`. Nested branches keep their versions while an outer switch hides them.
 */
export class MessageVersions {
  private snapshot: VersionsSnapshot = new Map();
  private readonly listeners = new Set<() => void>();

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): VersionsSnapshot => this.snapshot;

  /** The branch point of the message at `index`: its predecessor's id, or the root. */
  static branchOf(messages: readonly UIMessage[], index: number): string {
    return index <= 0 ? ROOT_BRANCH : messages[index - 1].id;
  }

  /**
   * Takes the versions the chat store keeps (oldest first) as every branch point's earlier
   * versions, each branch on its newest one (the chat's messages), replacing what this device
   * knew: the store holds every version, this device's own edits included once they ran.
   */
  hydrate(stored: readonly StoredVersion[]): void {
    const earlier = new Map<string, UIMessage[][]>();
    for (const version of stored) {
      const tails = earlier.get(version.branch) ?? [];
      tails.push(version.messages);
      earlier.set(version.branch, tails);
    }
    const next = new Map<string, BranchVersions>();
    for (const [branch, tails] of earlier) next.set(branch, { tails: [...tails, []], active: tails.length });
    this.snapshot = next;
    for (const listener of this.listeners) listener();
  }

  /**
   * Call just before replacing everything after `branch`: keeps the current tail as a version and
   * makes a new, empty one active (the chat fills it as the new answer streams).
   */
  fork(messages: readonly UIMessage[], branch: string): void {
    const start = branch === ROOT_BRANCH ? 0 : messages.findIndex((m) => m.id === branch) + 1;
    if (start === 0 && branch !== ROOT_BRANCH) return;
    const tail = messages.slice(start);
    if (tail.length === 0) return;
    const existing = this.snapshot.get(branch);
    const tails = existing ? existing.tails.map((t, i) => (i === existing.active ? tail : t)) : [tail];
    this.set(branch, { tails: [...tails, []], active: tails.length });
  }

  /**
   * Switches the branch to version `target` and returns the messages the chat should show, or
   * null when there is nothing to switch.
   */
  select(messages: readonly UIMessage[], branch: string, target: number): UIMessage[] | null {
    const entry = this.snapshot.get(branch);
    if (!entry || target < 0 || target >= entry.tails.length || target === entry.active) return null;
    const start = branch === ROOT_BRANCH ? 0 : messages.findIndex((m) => m.id === branch) + 1;
    if (start === 0 && branch !== ROOT_BRANCH) return null;
    const tails = entry.tails.map((t, i) => (i === entry.active ? messages.slice(start) : t));
    this.set(branch, { tails, active: target });
    return [...messages.slice(0, start), ...tails[target]];
  }

  /**
   * Puts every branch point on screen back on its newest version (the one the server stores) and
   * returns the messages to show, or null when all already are. A new prompt continues the stored
   * conversation, so it is sent from there.
   */
  latest(messages: readonly UIMessage[]): UIMessage[] | null {
    let current = messages as UIMessage[];
    // Each switch may reveal nested branch points; there are never more switches than branches.
    for (let switches = 0; switches <= this.snapshot.size; switches++) {
      const behind = [...this.snapshot].find(([branch, v]) => v.active !== v.tails.length - 1 && (branch === ROOT_BRANCH || current.some((m) => m.id === branch)));
      const next = behind ? this.select(current, behind[0], behind[1].tails.length - 1) : null;
      if (!next) return current === messages ? null : current;
      current = next;
    }
    return current;
  }

  private set(branch: string, versions: BranchVersions): void {
    const next = new Map(this.snapshot);
    next.set(branch, versions);
    this.snapshot = next;
    for (const listener of this.listeners) listener();
  }
}
