/**
 * The one topic builder and parser of the kit: `{prefix}/{userId}/{chatId}/{channel}`.
 * Browser, worker, broker ACL and tests all use it, so the scheme lives in exactly one place.
 */
import { InvalidTopicSegmentError } from './errors.js';

/** Channels of a chat, see DESIGN.md. `replay` is followed by `/{clientId}`. */
export const CHANNELS = ['request', 'control', 'stream', 'status', 'complete', 'replay'] as const;
/** One channel of a chat: the last level(s) of its topics. */
export type Channel = (typeof CHANNELS)[number];

/**
 * Channels of a user rather than of one chat, under `{prefix}/{userId}/~/...`: `query` (browser →
 * worker: history pages, chat list, rename, delete, turn lookups), `answer/{clientId}` (worker → that
 * one client) and `chats` (worker → every device of the user: chat list changes). `~` can never be a
 * chat id (see {@link isValidSegment}), so these topics cannot collide with a chat's.
 */
export const USER_CHANNELS = ['query', 'answer', 'chats'] as const;
/** One of {@link USER_CHANNELS}. */
export type UserChannel = (typeof USER_CHANNELS)[number];
/** The level that separates a user's own channels from their chats'. */
export const USER_LEVEL = '~';

/** Default first topic level. */
export const DEFAULT_TOPIC_PREFIX = 'chat';

const SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;
/** A prefix may have several levels, each a plain segment. */
const PREFIX = /^[A-Za-z0-9_-]{1,64}(?:\/[A-Za-z0-9_-]{1,64}){0,3}$/;

/** True when `value` can stand as a user id, chat id or client id in a topic. */
export function isValidSegment(value: unknown): value is string {
  return typeof value === 'string' && SEGMENT.test(value);
}

/** Throws a typed error when `value` is not a safe topic segment (no `/`, `+`, `#`, `$`). */
export function assertSegment(kind: 'userId' | 'chatId' | 'clientId' | 'group', value: unknown): asserts value is string {
  if (!isValidSegment(value)) throw new InvalidTopicSegmentError(kind, value);
}

export function assertPrefix(prefix: string): void {
  if (!PREFIX.test(prefix)) throw new InvalidTopicSegmentError('topicPrefix', prefix);
}

/** Names one chat: whose it is and which. */
export interface ChatAddress {
  userId: string;
  chatId: string;
}

/** Builds and parses every topic of one prefix. Create one per prefix and reuse it. */
export class TopicScheme {
  readonly prefix: string;
  private readonly depth: number;

  constructor(prefix: string = DEFAULT_TOPIC_PREFIX) {
    assertPrefix(prefix);
    this.prefix = prefix;
    this.depth = prefix.split('/').length;
  }

  /** The topic of one channel of a chat; `replay` needs the receiving client id. */
  topic(address: ChatAddress, channel: Exclude<Channel, 'replay'>): string;
  topic(address: ChatAddress, channel: 'replay', clientId: string): string;
  topic(address: ChatAddress, channel: Channel, clientId?: string): string {
    assertSegment('userId', address.userId);
    assertSegment('chatId', address.chatId);
    const base = `${this.prefix}/${address.userId}/${address.chatId}/${channel}`;
    if (channel !== 'replay') return base;
    assertSegment('clientId', clientId);
    return `${base}/${clientId}`;
  }

  /** All topics a browser subscribes to for one chat (its own replay topic included). */
  clientSubscriptions(address: ChatAddress, clientId: string): string[] {
    return [
      this.topic(address, 'stream'),
      this.topic(address, 'status'),
      this.topic(address, 'complete'),
      this.topic(address, 'replay', clientId),
    ];
  }

  /** The filter a worker subscribes to for requests of every user and chat. */
  requestFilter(): string {
    return `${this.prefix}/+/+/request`;
  }

  /** The shared-subscription form of {@link requestFilter} for a worker group. */
  sharedRequestFilter(group: string): string {
    assertSegment('group', group);
    return `$share/${group}/${this.requestFilter()}`;
  }

  /**
   * Worker coordination topics (presence, hand-over inboxes, the shared-subscription probe) live
   * inside the chat tree, at `{prefix}/~/sys/...`: `~` is never a user id, so no user's topic and
   * no browser grant can match them. Inside, not beside: a broker set-up that carries `{prefix}/#`
   * between brokers (a Mosquitto bridge) carries coordination with the requests, so the workers
   * that receive a request always hear of each other and only its owner runs it. Every level
   * count differs from the 4-level request, control and query filters, so none can match.
   */
  private coordinationTopic(...levels: string[]): string {
    return [this.prefix, USER_LEVEL, 'sys', ...levels].join('/');
  }

  /** A worker's retained presence record: `{prefix}/~/sys/workers/{group}/{workerId}`. */
  workerPresenceTopic(group: string, workerId: string): string {
    assertSegment('group', group);
    assertSegment('clientId', workerId);
    return this.coordinationTopic('workers', group, workerId);
  }

  /** Every member's presence record in a group. */
  workerPresenceFilter(group: string): string {
    assertSegment('group', group);
    return this.coordinationTopic('workers', group, '+');
  }

  /**
   * A worker's inbox for requests another member of its group received through the shared
   * subscription but does not own: `{prefix}/~/sys/inbox/{group}/{workerId}/{userId}/{chatId}`.
   */
  workerInboxTopic(group: string, workerId: string, address: ChatAddress): string {
    assertSegment('group', group);
    assertSegment('clientId', workerId);
    assertSegment('userId', address.userId);
    assertSegment('chatId', address.chatId);
    return this.coordinationTopic('inbox', group, workerId, address.userId, address.chatId);
  }

  workerInboxFilter(group: string, workerId: string): string {
    assertSegment('group', group);
    assertSegment('clientId', workerId);
    return this.coordinationTopic('inbox', group, workerId, '+', '+');
  }

  /** The chat a worker inbox topic names, or null when `topic` is not in that inbox. */
  parseWorkerInbox(topic: string, group: string, workerId: string): ChatAddress | null {
    const base = this.workerInboxFilter(group, workerId).slice(0, -3);
    if (!topic.startsWith(base)) return null;
    const [userId, chatId, ...rest] = topic.slice(base.length).split('/');
    if (rest.length > 0 || !isValidSegment(userId) || !isValidSegment(chatId)) return null;
    return { userId, chatId };
  }

  /** Topic a worker publishes to itself to learn whether shared subscriptions are delivered. */
  sharedProbeTopic(workerId: string): string {
    assertSegment('clientId', workerId);
    return this.coordinationTopic('probe', workerId);
  }

  /** A user-level topic; `answer` needs the receiving client id. */
  userTopic(userId: string, channel: Exclude<UserChannel, 'answer'>): string;
  userTopic(userId: string, channel: 'answer', clientId: string): string;
  userTopic(userId: string, channel: UserChannel, clientId?: string): string {
    assertSegment('userId', userId);
    const base = `${this.prefix}/${userId}/${USER_LEVEL}/${channel}`;
    if (channel !== 'answer') return base;
    assertSegment('clientId', clientId);
    return `${base}/${clientId}`;
  }

  /** The user-level topics a browser subscribes to: its own answers and the chat list feed. */
  userSubscriptions(userId: string, clientId: string): string[] {
    return [this.userTopic(userId, 'answer', clientId), this.userTopic(userId, 'chats')];
  }

  /** The filter a worker subscribes to for every user's queries. */
  queryFilter(): string {
    return `${this.prefix}/+/${USER_LEVEL}/query`;
  }

  /** The shared-subscription form of {@link queryFilter} for a worker group. */
  sharedQueryFilter(group: string): string {
    assertSegment('group', group);
    return `$share/${group}/${this.queryFilter()}`;
  }

  /** Parses a user-level topic; null for chat topics and anything foreign or malformed. */
  parseUser(topic: string): { userId: string; channel: UserChannel; clientId?: string } | null {
    const levels = topic.split('/');
    if (levels.slice(0, this.depth).join('/') !== this.prefix) return null;
    const [userId, marker, channel, clientId, ...rest] = levels.slice(this.depth);
    if (rest.length > 0 || marker !== USER_LEVEL || !isValidSegment(userId)) return null;
    if (!(USER_CHANNELS as readonly string[]).includes(channel ?? '')) return null;
    if (channel === 'answer') return isValidSegment(clientId) ? { userId, channel, clientId } : null;
    if (clientId !== undefined) return null;
    return { userId, channel: channel as UserChannel };
  }

  /** Parses a topic of this scheme; returns null for anything else (foreign or malformed). */
  parse(topic: string): (ChatAddress & { channel: Channel; clientId?: string }) | null {
    const levels = topic.split('/');
    const prefixLevels = levels.slice(0, this.depth).join('/');
    if (prefixLevels !== this.prefix) return null;
    const [userId, chatId, channel, clientId, ...rest] = levels.slice(this.depth);
    if (rest.length > 0 || !isValidSegment(userId) || !isValidSegment(chatId)) return null;
    if (!(CHANNELS as readonly string[]).includes(channel ?? '')) return null;
    if (channel === 'replay') {
      if (!isValidSegment(clientId)) return null;
      return { userId, chatId, channel, clientId };
    }
    if (clientId !== undefined) return null;
    return { userId, chatId, channel: channel as Channel };
  }
}

/** Channels of the seed's plain-token protocol (see `plain-token-protocol.ts`). */
export const PLAIN_TOKEN_CHANNELS = ['request', 'response', 'status', 'control'] as const;
/** One channel of a plain-token session. */
export type PlainTokenChannel = (typeof PLAIN_TOKEN_CHANNELS)[number];
/** Default first topic level of the plain-token protocol, as in the seed guide. */
export const DEFAULT_PLAIN_TOKEN_PREFIX = 'ai';

/** `{prefix}/{sessionId}/{channel}`: the plain-token protocol's topic of one session. */
export function plainTokenTopic(prefix: string, sessionId: string, channel: PlainTokenChannel): string {
  assertPrefix(prefix);
  assertSegment('chatId', sessionId);
  return `${prefix}/${sessionId}/${channel}`;
}
