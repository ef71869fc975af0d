/**
 * Retained state per user. Every retained message stays in the broker's memory until someone
 * clears it, and Aedes' memory persistence tests every retained message against every new
 * SUBSCRIBE, so one user who makes the worker retain thousands of topics slows every other
 * user's subscribe. The budget keeps, per user id (the topic level after the prefix), the most
 * recently written retained messages within a count and a byte budget, and clears the oldest.
 * Topics outside `{prefix}/{userId}/...` (worker presence under `{prefix}/~/sys`) are not counted.
 */
import type { Aedes } from 'aedes';
import { isValidSegment } from '../transport/topics.js';

/** What {@link installRetainedBudget} reports. */
export interface RetainedBudget {
  /** Retained messages and payload bytes kept under users' topics, and how many users hold some. */
  usage(): { messages: number; bytes: number; users: number };
  /** Retained messages cleared for a user's budget since start. */
  evicted(): number;
  dispose(): void;
}

interface RetainedPacket {
  cmd?: 'publish';
  topic: string;
  payload: Buffer | string;
  qos?: 0 | 1 | 2;
  retain?: boolean;
}

type Persistence = { storeRetained(packet: RetainedPacket): Promise<void> };

/**
 * Wraps the broker's `persistence.storeRetained` (call after the broker was created, when its
 * persistence exists). `onEvicted` is told which topic lost its retained message and why.
 */
export function installRetainedBudget(
  aedes: Aedes,
  options: { topicPrefix: string; maxPerUser: number; maxBytesPerUser: number; onEvicted?: (userId: string, topic: string) => void },
): RetainedBudget {
  const persistence = (aedes as unknown as { persistence: Persistence }).persistence;
  const store = persistence.storeRetained.bind(persistence);
  const root = `${options.topicPrefix}/`;
  /** Per user: topic -> payload bytes, in write order (a rewrite moves the topic to the end). */
  const users = new Map<string, { topics: Map<string, number>; bytes: number }>();
  let total = { messages: 0, bytes: 0 };
  let evicted = 0;

  const ownerOf = (topic: string): string | null => {
    if (!topic.startsWith(root)) return null;
    const userId = topic.slice(root.length).split('/', 1)[0];
    return isValidSegment(userId) ? userId : null;
  };

  const forget = (userId: string, topic: string) => {
    const user = users.get(userId);
    const bytes = user?.topics.get(topic);
    if (!user || bytes === undefined) return;
    user.topics.delete(topic);
    user.bytes -= bytes;
    total = { messages: total.messages - 1, bytes: total.bytes - bytes };
    if (user.topics.size === 0) users.delete(userId);
  };

  persistence.storeRetained = async (packet) => {
    const userId = ownerOf(packet.topic);
    if (userId === null) return store(packet);
    const size = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length;
    forget(userId, packet.topic);
    if (size === 0) return store(packet);
    const user = users.get(userId) ?? { topics: new Map<string, number>(), bytes: 0 };
    users.set(userId, user);
    user.topics.set(packet.topic, size);
    user.bytes += size;
    total = { messages: total.messages + 1, bytes: total.bytes + size };
    const clears: Promise<void>[] = [];
    // The newest message always stays: a single message is bounded by the packet size.
    while (user.topics.size > 1 && (user.topics.size > options.maxPerUser || user.bytes > options.maxBytesPerUser)) {
      const oldest = user.topics.keys().next().value as string;
      forget(userId, oldest);
      evicted++;
      options.onEvicted?.(userId, oldest);
      clears.push(store({ cmd: 'publish', topic: oldest, payload: Buffer.alloc(0), qos: 0, retain: true }));
    }
    await Promise.all([store(packet), ...clears]);
  };

  return {
    usage: () => ({ ...total, users: users.size }),
    evicted: () => evicted,
    dispose() {
      persistence.storeRetained = store;
    },
  };
}
