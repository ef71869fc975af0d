import type { UIMessage } from 'ai';
import type { StoredVersion } from '../transport/conversation.js';

/** The root of a conversation, as a branch point: the first message has no predecessor. */
export const ROOT_BRANCH = '';

/** The alternatives kept after one branch point. */
export interface BranchVersions {
  /** Every version's messages after the branch point; the active one is stale (the chat holds it). */
  readonly tails: readonly (readonly UIMessage[])[];
  readonly active: number;
  /**
   * Per version, the branch points inside it while another version is shown (they come back with
   * it). An edited prompt keeps its id, so the versions after the old prompt must never show under
   * the new one.
   */
  readonly nested?: readonly (VersionsSnapshot | undefined)[];
}

/** The versions of every branch point on screen, by the id of the message before it. */
export type VersionsSnapshot = ReadonlyMap<string, BranchVersions>;

/** Most switches `latest()` makes: each one reveals at most the branch points of one version. */
const MAX_SWITCHES = 1_000;

/**
 * Versions of a conversation after edits and regenerations, framework-free. A branch point is the
 * id of the message before the part that changed (the user message for a regenerated answer, the
 * message before an edited prompt). Each version is the list of messages that followed it. The
 * chat's own messages always hold the active version; switching swaps tails through
 * `setMessages`. The branch points inside a version that is not shown are set aside with it and
 * come back when it is shown again.
 */
export class MessageVersions {
  private snapshot: VersionsSnapshot = new Map();
  private readonly listeners = new Set<() => void>();

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): VersionsSnapshot => this.snapshot;

  /** What was last hydrated: the chat and its stored versions' branch points and times. */
  private hydrated: string | null = null;

  /** The branch point of the message at `index`: its predecessor's id, or the root. */
  static branchOf(messages: readonly UIMessage[], index: number): string {
    return index <= 0 ? ROOT_BRANCH : messages[index - 1].id;
  }

  /**
   * Takes the versions the chat store keeps (oldest first) as every branch point's earlier
   * versions, each branch on its newest one (the chat's messages), replacing what this device
   * knew: the store holds every version, this device's own edits included once they ran. A
   * version whose branch point a later replacement removed belongs inside that later one.
   * `chat` names whose versions they are: the same versions of the same chat again (a page
   * loaded twice) leave the versions the user is looking at alone.
   */
  hydrate(stored: readonly StoredVersion[], chat: string): void {
    const signature = `${chat}\n${stored.map((version) => `${version.branch}@${version.replacedAt}`).join('\n')}`;
    if (signature === this.hydrated) return;
    this.hydrated = signature;
    const ordered = [...stored].sort((a, b) => a.replacedAt - b.replacedAt);
    const ownerOf = (version: StoredVersion) =>
      ordered.find((later) => later.replacedAt > version.replacedAt && later.messages.some((m) => m.id === version.branch)) ?? null;
    const groups = new Map<StoredVersion | null, Map<string, StoredVersion[]>>();
    for (const version of ordered) {
      const owner = ownerOf(version);
      const byBranch = groups.get(owner) ?? new Map<string, StoredVersion[]>();
      groups.set(owner, byBranch);
      byBranch.set(version.branch, [...(byBranch.get(version.branch) ?? []), version]);
    }
    const built = new Map<StoredVersion | null, Map<string, BranchVersions>>();
    const scope = (owner: StoredVersion | null): Map<string, BranchVersions> => {
      const existing = built.get(owner);
      if (existing) return existing;
      const map = new Map<string, BranchVersions>();
      built.set(owner, map);
      for (const [branch, versions] of groups.get(owner) ?? []) {
        const nested = versions.map((version) => (groups.has(version) ? scope(version) : undefined));
        map.set(branch, { tails: [...versions.map((version) => version.messages), []], active: versions.length, nested: [...nested, undefined] });
      }
      return map;
    };
    const next = scope(null);
    if (next.size === 0 && this.snapshot.size === 0) return;
    this.snapshot = next;
    this.notify();
  }

  /**
   * Call just before replacing everything after `branch`: keeps the current tail as a version and
   * makes a new, empty one active (the chat fills it as the new answer streams).
   */
  fork(messages: readonly UIMessage[], branch: string): void {
    const start = startOf(messages, branch);
    if (start < 0) return;
    const tail = messages.slice(start);
    if (tail.length === 0) return;
    const existing = this.snapshot.get(branch);
    const tails = existing ? existing.tails.map((t, i) => (i === existing.active ? tail : t)) : [tail];
    const next = new Map(this.snapshot);
    const nested = [...(existing?.nested ?? [])];
    nested[existing?.active ?? 0] = setAside(next, tail);
    next.set(branch, { tails: [...tails, []], active: tails.length, nested });
    this.snapshot = next;
    this.notify();
  }

  /**
   * Switches the branch to version `target` and returns the messages the chat should show, or
   * null when there is nothing to switch.
   */
  select(messages: readonly UIMessage[], branch: string, target: number): UIMessage[] | null {
    const entry = this.snapshot.get(branch);
    if (!entry || target < 0 || target >= entry.tails.length || target === entry.active) return null;
    const start = startOf(messages, branch);
    if (start < 0) return null;
    const leaving = messages.slice(start);
    const tails = entry.tails.map((t, i) => (i === entry.active ? leaving : t));
    const next = new Map(this.snapshot);
    const nested = [...(entry.nested ?? [])];
    nested[entry.active] = setAside(next, leaving);
    for (const [key, versions] of nested[target] ?? []) next.set(key, versions);
    nested[target] = undefined;
    next.set(branch, { tails, active: target, nested });
    this.snapshot = next;
    this.notify();
    return [...messages.slice(0, start), ...tails[target]];
  }

  /**
   * Puts every branch point on screen back on its newest version (the one the server stores) and
   * returns the messages to show, or null when all already are. A new prompt continues the stored
   * conversation, so it is sent from there.
   */
  latest(messages: readonly UIMessage[]): UIMessage[] | null {
    let current = messages as UIMessage[];
    for (let switches = 0; switches <= MAX_SWITCHES; switches++) {
      const behind = [...this.snapshot].find(([branch, v]) => v.active !== v.tails.length - 1 && (branch === ROOT_BRANCH || current.some((m) => m.id === branch)));
      const next = behind ? this.select(current, behind[0], behind[1].tails.length - 1) : null;
      if (!next) return current === messages ? null : current;
      current = next;
    }
    return current;
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

/** Where the messages after `branch` start; -1 when the branch point is not shown. */
function startOf(messages: readonly UIMessage[], branch: string): number {
  if (branch === ROOT_BRANCH) return 0;
  const at = messages.findIndex((m) => m.id === branch);
  return at < 0 ? -1 : at + 1;
}

/** Takes the branch points inside `tail` out of `map`; returns them, or undefined when none. */
function setAside(map: Map<string, BranchVersions>, tail: readonly UIMessage[]): VersionsSnapshot | undefined {
  const kept = new Map<string, BranchVersions>();
  for (const message of tail) {
    const versions = map.get(message.id);
    if (versions) {
      kept.set(message.id, versions);
      map.delete(message.id);
    }
  }
  return kept.size > 0 ? kept : undefined;
}
