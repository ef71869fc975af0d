/**
 * Everything one client does for one chat: the subscriptions (stream, status, complete and its
 * own replay topic), the activity store hooks read, and the readers of live turns.
 * Reference-counted: the last release unsubscribes, so subscriptions never accumulate.
 */
import {
  decodeComplete,
  decodeStatus,
  decodeStream,
  encodeControl,
  FINAL_TURN_STATES,
  type CompleteEnvelope,
  type StatusEnvelope,
} from './envelope.js';
import { INITIAL_CHAT_ACTIVITY, type ChatActivitySnapshot } from './chat-activity.js';
import type { MessageRouter } from './message-router.js';
import { publishAsync, subscribeAsync, unsubscribeAsync, type MqttClientLike } from './mqtt-client.js';
import type { DropReason } from './stats.js';
import { Store, type ReadableStore } from './store.js';
import type { ChatAddress, TopicScheme } from './topics.js';
import type { TurnReader } from './turn-reader.js';

export interface ChatChannelContext {
  topics: TopicScheme;
  router: MessageRouter;
  clientId: string;
  client(): MqttClientLike | null;
  maxMessageBytes: number;
  count(reason: DropReason | 'received' | 'replay-requested'): void;
}

export class ChatChannel {
  private readonly store = new Store<ChatActivitySnapshot>(INITIAL_CHAT_ACTIVITY);
  readonly activity: ReadableStore<ChatActivitySnapshot> = this.store;
  readonly readers = new Map<string, TurnReader>();
  private refs = 0;
  private subscribed: Promise<void> | null = null;
  /** The UNSUBSCRIBE of the last release, until its UNSUBACK: a new SUBSCRIBE must wait for it. */
  private unsubscribing: Promise<void> | null = null;
  private latestStatus: StatusEnvelope | null = null;
  private latestComplete: CompleteEnvelope | null = null;
  private readonly statusWaiters = new Set<() => void>();
  readonly topicList: string[];
  private readonly streamTopic: string;
  private readonly statusTopic: string;
  private readonly completeTopic: string;
  private readonly replayTopic: string;
  private readonly controlTopic: string;

  constructor(
    readonly address: ChatAddress,
    private readonly context: ChatChannelContext,
    private readonly onIdle: (channel: ChatChannel) => void,
  ) {
    const { topics, clientId } = context;
    this.streamTopic = topics.topic(address, 'stream');
    this.statusTopic = topics.topic(address, 'status');
    this.completeTopic = topics.topic(address, 'complete');
    this.replayTopic = topics.topic(address, 'replay', clientId);
    this.controlTopic = topics.topic(address, 'control');
    this.topicList = [this.streamTopic, this.statusTopic, this.completeTopic, this.replayTopic];
  }

  get status(): StatusEnvelope | null {
    return this.latestStatus;
  }

  get complete(): CompleteEnvelope | null {
    return this.latestComplete;
  }

  /** Keeps the chat subscribed until the returned release is called. */
  retain(): () => void {
    this.refs++;
    if (this.refs === 1) {
      const { router } = this.context;
      router.set(this.streamTopic, (payload) => this.onStream(payload, false));
      router.set(this.replayTopic, (payload) => this.onStream(payload, true));
      router.set(this.statusTopic, (payload) => this.onStatus(payload));
      router.set(this.completeTopic, (payload) => this.onComplete(payload));
      this.subscribe();
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.refs--;
      if (this.refs === 0) this.teardown();
    };
  }

  /** Resolves when the broker acknowledged the subscriptions (retained messages follow). */
  ready(): Promise<void> {
    return this.subscribed ?? Promise.resolve();
  }

  /** Subscribes again after a reconnect: clean sessions forget subscriptions. */
  resubscribe(): void {
    if (this.refs > 0) this.subscribe();
  }

  private subscribe(): void {
    const client = this.context.client();
    if (!client?.connected) {
      this.subscribed = null;
      return;
    }
    // Aedes may finish an earlier UNSUBSCRIBE of the same topics after a newer SUBSCRIBE (a second
    // turn right after the first released the chat), silently dropping the new subscription.
    const after = this.unsubscribing ?? Promise.resolve();
    this.subscribed = after.then(() => subscribeAsync(client, this.topicList, 1)).then(
      () => undefined,
      () => undefined,
    );
  }

  private teardown(): void {
    const { router } = this.context;
    for (const topic of this.topicList) router.delete(topic);
    const client = this.context.client();
    if (client?.connected) {
      const unsubscribing = unsubscribeAsync(client, this.topicList).finally(() => {
        if (this.unsubscribing === unsubscribing) this.unsubscribing = null;
      });
      this.unsubscribing = unsubscribing;
    }
    this.subscribed = null;
    // The retained status and complete come again with the next subscribe; holding them (a
    // complete is a whole answer) for every chat ever opened is what would grow with the page.
    this.latestStatus = null;
    this.latestComplete = null;
    this.onIdle(this);
  }

  /** Waits up to `timeoutMs` for a status (retained ones arrive right after subscribing). */
  waitForStatus(timeoutMs: number, predicate: (status: StatusEnvelope) => boolean = () => true): Promise<StatusEnvelope | null> {
    return this.waitFor(() => (this.latestStatus && predicate(this.latestStatus) ? this.latestStatus : null), timeoutMs);
  }

  /** Waits up to `timeoutMs` for the retained `complete` of `requestId`. */
  waitForComplete(requestId: string, timeoutMs: number): Promise<CompleteEnvelope | null> {
    return this.waitFor(() => (this.latestComplete?.requestId === requestId ? this.latestComplete : null), timeoutMs);
  }

  /** Resolves with the first non-null `probe()` result, re-checked on every status or complete. */
  private waitFor<T>(probe: () => T | null, timeoutMs: number): Promise<T | null> {
    const now = probe();
    if (now !== null) return Promise.resolve(now);
    return new Promise((resolve) => {
      const check = () => {
        const value = probe();
        if (value !== null) finish(value);
      };
      const finish = (value: T | null) => {
        clearTimeout(timer);
        this.statusWaiters.delete(check);
        resolve(value);
      };
      const timer = setTimeout(() => finish(null), timeoutMs);
      this.statusWaiters.add(check);
    });
  }

  markStarted(requestId: string): void {
    this.store.update({ requestId, startedHere: true, generation: 'queued', lastSeq: -1, error: null });
  }

  /**
   * The worker of a live turn went silent past `streamTimeout`. Its retained status still says
   * `generating` and nothing will ever update it: the turn is over for this page, as an error.
   * A status the worker publishes later (it was only slow) replaces this as usual.
   */
  markTimedOut(requestId: string, error: string): void {
    const snapshot = this.store.getSnapshot();
    if (snapshot.requestId !== requestId || snapshot.generation === 'idle' || FINAL_TURN_STATES.has(snapshot.generation)) return;
    this.store.update({ generation: 'error', error });
  }

  setRecovery(recovery: Partial<ChatActivitySnapshot['recovery']>): void {
    this.store.update({ recovery: { ...this.store.getSnapshot().recovery, ...recovery } });
  }

  publishControl(payload: Parameters<typeof encodeControl>[0]): Promise<void> {
    const client = this.context.client();
    if (!client?.connected) return Promise.resolve();
    if (payload.op === 'replay') this.context.count('replay-requested');
    return publishAsync(client, this.controlTopic, encodeControl(payload), { qos: 1 }).catch(() => undefined);
  }

  private oversized(payload: Uint8Array): boolean {
    if (payload.byteLength <= this.context.maxMessageBytes) return false;
    this.context.count('oversized');
    return true;
  }

  private onStream(payload: Uint8Array, viaReplay: boolean): void {
    this.context.count('received');
    if (this.oversized(payload)) return;
    const decoded = decodeStream(payload);
    if (!decoded.ok) return this.context.count(decoded.reason);
    const reader = this.readers.get(decoded.value.requestId);
    // Envelopes of a turn nobody reads here are foreign: another request, or a stale one.
    if (!reader) return this.context.count('foreign');
    const before = reader.duplicates;
    reader.push(decoded.value, viaReplay);
    if (reader.duplicates > before) this.context.count('duplicate');
  }

  private onStatus(payload: Uint8Array): void {
    this.context.count('received');
    if (this.oversized(payload)) return;
    const decoded = decodeStatus(payload);
    if (!decoded.ok) return this.context.count(decoded.reason);
    const status = decoded.value;
    const previous = this.latestStatus;
    // Out-of-order or replayed statuses of the same turn must not move the state backwards.
    if (previous && previous.requestId === status.requestId && FINAL_TURN_STATES.has(previous.state) && !FINAL_TURN_STATES.has(status.state)) {
      return this.context.count('stale');
    }
    if (previous && previous.requestId !== status.requestId && status.at < previous.at) return this.context.count('stale');
    this.latestStatus = status;
    const snapshot = this.store.getSnapshot();
    this.store.update({
      requestId: status.requestId,
      generation: status.state,
      lastSeq: status.lastSeq,
      userMessage: status.userMessage ?? (snapshot.requestId === status.requestId ? snapshot.userMessage : null),
      messageId: status.messageId ?? null,
      error: status.error ?? null,
      startedHere: snapshot.requestId === status.requestId ? snapshot.startedHere : false,
    });
    this.readers.get(status.requestId)?.onStatus(status);
    for (const waiter of [...this.statusWaiters]) waiter();
  }

  private onComplete(payload: Uint8Array): void {
    this.context.count('received');
    if (payload.byteLength === 0) return; // a cleared retained message
    const decoded = decodeComplete(payload);
    if (!decoded.ok) return this.context.count(decoded.reason);
    if (this.latestComplete && decoded.value.at < this.latestComplete.at) return this.context.count('stale');
    this.latestComplete = decoded.value;
    for (const waiter of [...this.statusWaiters]) waiter();
  }
}
