/**
 * One client's subscription to one chat: its topics (stream, status, complete and its own replay
 * topic), the retained status and complete, and the activity store hooks read. Chunks and statuses
 * go to the turn registry by request id. Reference-counted: the last release unsubscribes, so
 * subscriptions never accumulate.
 */
import {
  decodeComplete,
  decodeStatus,
  decodeStream,
  encodeControl,
  FINAL_TURN_STATES,
  type CompleteEnvelope,
  type StatusEnvelope,
  type StreamEnvelope,
} from './envelope.js';
import type { UIMessage } from 'ai';
import { INITIAL_CHAT_ACTIVITY, type ChatActivitySnapshot } from './chat-activity.js';
import type { MessageRouter } from './message-router.js';
import { publishAsync, subscribeAsync, unsubscribeAsync, type MqttClientLike } from './mqtt-client.js';
import type { DropReason } from './stats.js';
import { Store, type ReadableStore } from './store.js';
import type { ChatAddress, TopicScheme } from './topics.js';

/** What a chat subscription needs from its transport. */
export interface ChatSubscriptionContext {
  topics: TopicScheme;
  router: MessageRouter;
  /** The connection's client id now: it changes when a managed connection moves to another node. */
  clientId(): string;
  client(): MqttClientLike | null;
  maxMessageBytes: number;
  count(reason: DropReason | 'received' | 'replay-requested'): void;
  /** Hands a stream envelope to the turn it belongs to; false when no turn here reads it (foreign). */
  routeChunks(envelope: StreamEnvelope, viaReplay: boolean): 'delivered' | 'duplicate' | 'foreign';
  /** A status or complete of this chat arrived (after the activity store was updated). */
  onRetained(subscription: ChatSubscription, kind: 'status' | 'complete'): void;
}

export class ChatSubscription {
  private readonly store = new Store<ChatActivitySnapshot>(INITIAL_CHAT_ACTIVITY);
  readonly activity: ReadableStore<ChatActivitySnapshot> = this.store;
  private refs = 0;
  private subscribed: Promise<void> | null = null;
  /** The UNSUBSCRIBE of the last release, until its UNSUBACK: a new SUBSCRIBE must wait for it. */
  private unsubscribing: Promise<void> | null = null;
  private latestStatus: StatusEnvelope | null = null;
  private latestComplete: CompleteEnvelope | null = null;
  private readonly streamTopic: string;
  private readonly statusTopic: string;
  private readonly completeTopic: string;
  /** Per client id (the ACL lets only that connection read it): follows the connection's id. */
  private replayTopic: string;
  private readonly controlTopic: string;

  constructor(
    readonly address: ChatAddress,
    private readonly context: ChatSubscriptionContext,
  ) {
    const { topics } = context;
    this.streamTopic = topics.topic(address, 'stream');
    this.statusTopic = topics.topic(address, 'status');
    this.completeTopic = topics.topic(address, 'complete');
    this.replayTopic = topics.topic(address, 'replay', context.clientId());
    this.controlTopic = topics.topic(address, 'control');
  }

  /** The topics this subscription holds while acquired. */
  get topicList(): string[] {
    return [this.streamTopic, this.statusTopic, this.completeTopic, this.replayTopic];
  }

  get status(): StatusEnvelope | null {
    return this.latestStatus;
  }

  get complete(): CompleteEnvelope | null {
    return this.latestComplete;
  }

  /** True while someone holds the subscription. */
  get active(): boolean {
    return this.refs > 0;
  }

  /** Keeps the chat subscribed until the returned release is called. */
  acquire(): () => void {
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

  /**
   * Asks the broker for the retained `complete` again (a new SUBSCRIBE re-sends retained
   * messages). Resolves on the SUBACK; the message itself follows it.
   */
  async refetchComplete(): Promise<void> {
    const client = this.context.client();
    if (this.refs === 0 || !client?.connected) return;
    await subscribeAsync(client, this.completeTopic, 1).catch(() => undefined);
  }

  /** Subscribes again after a reconnect: clean sessions forget subscriptions. */
  resubscribe(): void {
    if (this.refs > 0) this.subscribe();
  }

  private subscribe(): void {
    this.followClientId();
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

  /** A new client id (the connection moved to another node) has its own replay topic. */
  private followClientId(): void {
    const topic = this.context.topics.topic(this.address, 'replay', this.context.clientId());
    if (topic === this.replayTopic) return;
    const { router } = this.context;
    router.delete(this.replayTopic);
    this.replayTopic = topic;
    router.set(topic, (payload) => this.onStream(payload, true));
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
  }

  /** A turn this page started (or queued): shown at once, before any worker status. */
  markStarted(requestId: string, userMessage: UIMessage | null): void {
    this.store.update({ requestId, startedHere: true, turnState: 'queued', lastSeq: -1, error: null, userMessage, messageId: null });
  }

  /** Merges what the turn registry knows about this chat's turns (delivery, recovery, pending prompts). */
  patch(patch: Partial<ChatActivitySnapshot>): void {
    this.store.update(patch);
  }

  /**
   * The worker answered a `turn` query: its answer replaces a missing or stale retained status.
   */
  applyLookup(requestId: string, state: ChatActivitySnapshot['turnState'], error: string | null): void {
    const snapshot = this.store.getSnapshot();
    if (snapshot.requestId !== null && snapshot.requestId !== requestId) return;
    this.store.update({ requestId, turnState: state, error });
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
    // Envelopes of a turn nobody reads here are foreign: another request, or a stale one.
    const routed = this.context.routeChunks(decoded.value, viaReplay);
    if (routed !== 'delivered') this.context.count(routed);
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
      turnState: status.state,
      lastSeq: status.lastSeq,
      userMessage: status.userMessage ?? (snapshot.requestId === status.requestId ? snapshot.userMessage : null),
      messageId: status.messageId ?? null,
      error: status.error ?? null,
      startedHere: snapshot.requestId === status.requestId ? snapshot.startedHere : false,
    });
    this.context.onRetained(this, 'status');
  }

  private onComplete(payload: Uint8Array): void {
    this.context.count('received');
    if (payload.byteLength === 0) return; // a cleared retained message
    const decoded = decodeComplete(payload);
    if (!decoded.ok) return this.context.count(decoded.reason);
    if (this.latestComplete && decoded.value.at < this.latestComplete.at) return this.context.count('stale');
    this.latestComplete = decoded.value;
    this.context.onRetained(this, 'complete');
  }
}
