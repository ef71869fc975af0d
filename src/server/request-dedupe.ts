/**
 * The worker's memory of request ids it already took, per user: QoS 1 redeliveries, re-sent
 * requests and copies forwarded by other members are dropped by it. Each user has a memory of their
 * own, so one user sending thousands of requests evicts only their own ids, never another user's
 * (issue 14, F11). The chat store is the memory that survives a restart (see the turn service).
 */

/** Sizes of {@link RequestDedupe}. */
export interface RequestDedupeOptions {
  /** Ids remembered per user. Default 1 000. */
  idsPerUser: number;
  /** Users remembered; the least recently active user's memory goes first. Default 10 000. */
  users: number;
}

export const DEFAULT_DEDUPE: RequestDedupeOptions = { idsPerUser: 1_000, users: 10_000 };

export class RequestDedupe {
  /** Map order is recency: a user's entry moves to the end whenever they send. */
  private readonly byUser = new Map<string, Set<string>>();

  constructor(private readonly options: RequestDedupeOptions = DEFAULT_DEDUPE) {}

  /** True when `userId` already sent `requestId`. */
  has(userId: string, requestId: string): boolean {
    return this.byUser.get(userId)?.has(requestId) ?? false;
  }

  /** Forgets `requestId` (a request that was not taken after all, so its re-send must get in). */
  forget(userId: string, requestId: string): void {
    this.byUser.get(userId)?.delete(requestId);
  }

  /** Remembers `requestId` for `userId`; returns false when it was already known (a duplicate). */
  add(userId: string, requestId: string): boolean {
    let ids = this.byUser.get(userId);
    if (ids) this.byUser.delete(userId);
    else ids = new Set();
    this.byUser.set(userId, ids);
    if (ids.has(requestId)) return false;
    ids.add(requestId);
    if (ids.size > this.options.idsPerUser) ids.delete(ids.values().next().value as string);
    if (this.byUser.size > this.options.users) this.byUser.delete(this.byUser.keys().next().value as string);
    return true;
  }
}
