/**
 * Runs accepted turns against the chat store, one chat at a time: the part the worker and the HTTP
 * trigger share. A turn is acknowledged (`queued`) when accepted, runs when the chat's earlier turns
 * and refusals are done, writes its user message when it starts and its answer when it ends (before
 * the retained `complete`), and is stoppable from any device of the user through the chat's control
 * topic. It also answers "what do you know of this turn" and sweeps turns whose worker died.
 */
import type { UIMessage } from 'ai';
import type { ChatSummary, StoredMessage, TurnLookup } from '../transport/conversation.js';
import { encodeChatEvent, type RequestEnvelope } from '../transport/envelope.js';
import { ChatKitError } from '../transport/errors.js';
import { randomId } from '../transport/ids.js';
import { publishAsync, type MqttClientLike } from '../transport/mqtt-client.js';
import type { ChatAddress, TopicScheme } from '../transport/topics.js';
import type { AdaptiveCoalescer } from './adaptive-coalescer.js';
import { toChunkStream } from './chunk-source.js';
import { routeTurnControls } from './control-router.js';
import type { Route } from './message-dispatcher.js';
import { releaseAfter } from './publish-stream.js';
import { InvalidRequestError } from './request-validation.js';
import type { ChatStore } from './store/chat-store.js';
import { answerOf, endWrites, finalTurn, prepareTurn, startWrites, type PreparedTurn } from './turn-history.js';
import { publishInterrupted, publishRefusal, TurnPublisher, type PublishedTurn, type ReplayBudget } from './turn-publisher.js';
import { pumpTurn, type ChatTurnHandler } from './turn-runner.js';

/** How a turn's stream is published (see `PublishStreamOptions` for each default). */
export interface TurnPublishSettings {
  streamQos: 0 | 1;
  completeQos: 0 | 1;
  mergeWindowMs: number;
  completeExpirySeconds: number;
  replayGraceMs: number;
  /** The connection's adaptive coalescer; when given it sets the merge window (see `TurnPublisherOptions.coalescer`). */
  coalescer?: AdaptiveCoalescer;
}

export interface TurnServiceOptions {
  client: MqttClientLike;
  topics: TopicScheme;
  store: ChatStore;
  handler: ChatTurnHandler;
  /** Written on every turn this service runs, so a sweep can tell a dead runner's turns. */
  workerId: string;
  publish: TurnPublishSettings;
  replayBudget?: ReplayBudget;
  /** Worker-wide budget per replaying client (issue 14, F2/F4); false refuses a replay. */
  allowReplay?: (clientId: string) => boolean;
  /** Jobs (turns and refusals) waiting per chat; past it, more are dropped and counted. Default 32. */
  maxQueuedPerChat?: number;
  onTurn?: (turn: PublishedTurn) => void;
  onError?: (error: unknown) => void;
}

/** Counters of a turn service. */
export interface TurnServiceStats {
  served: number;
  /** Requests answered with a refusal (invalid, over a limit, or not applicable to the stored chat). */
  rejected: number;
  /** Requests already in the store (a re-send after a restart): not run again. */
  storedDuplicates: number;
  /** Jobs dropped because their chat's queue was full. */
  queueFull: number;
  /** Running turns of dead workers marked failed. */
  swept: number;
  /** Replay controls refused by a budget (one outstanding per client, per client, per turn), over finished turns. */
  replaysRefused: number;
  active: number;
}

interface LiveTurn {
  address: ChatAddress;
  requestId: string;
  publisher: TurnPublisher;
  abort: AbortController;
  controls: Route;
  started: boolean;
}

const INTERRUPTED = 'The worker running this turn stopped before it finished.';
const chatKey = (address: ChatAddress) => `${address.userId}/${address.chatId}`;

export class TurnService {
  readonly stats: TurnServiceStats = { served: 0, rejected: 0, storedDuplicates: 0, queueFull: 0, swept: 0, replaysRefused: 0, active: 0 };
  private readonly queues = new Map<string, { tail: Promise<void>; size: number }>();
  private readonly live = new Map<string, LiveTurn>();
  private readonly running = new Set<Promise<void>>();
  private readonly maxQueued: number;

  constructor(private readonly options: TurnServiceOptions) {
    this.maxQueued = options.maxQueuedPerChat ?? 32;
  }

  get store(): ChatStore {
    return this.options.store;
  }

  /**
   * Takes a validated request: acknowledges it with `queued` at once, listens for its controls, and
   * queues it behind the chat's earlier jobs. False when the chat's queue is full (nothing was sent).
   */
  accept(address: ChatAddress, request: RequestEnvelope, incoming: UIMessage | undefined): boolean {
    if (!this.hasRoom(address)) return false;
    const { client, topics } = this.options;
    const publisher = this.publisherFor(address, request.requestId, incoming?.role === 'user' ? incoming : undefined);
    // One abort input per turn: a control `abort` from any device, or the service shutting down.
    const abort = new AbortController();
    const controls = routeTurnControls(client, topics, address, request.requestId, (control) => {
      if (control.op === 'abort') abort.abort(new ChatKitError('turn-failed', 'Stopped by the user.'));
      else publisher.replay(control.fromSeq, control.clientId, control.toSeq);
    });
    const turn: LiveTurn = { address, requestId: request.requestId, publisher, abort, controls, started: false };
    this.live.set(`${chatKey(address)}/${request.requestId}`, turn);
    void publisher.acknowledge().catch(() => undefined);
    this.enqueue(address, () => this.run(turn, request, incoming));
    return true;
  }

  /** Answers a request that will not run, through the chat's queue (so after the chat's live turn). */
  refuse(address: ChatAddress, requestId: string, errorText: string): boolean {
    if (!this.hasRoom(address)) return false;
    this.stats.rejected++;
    const { client, topics } = this.options;
    this.enqueue(address, () => publishRefusal(client, topics, address, requestId, errorText).catch((error: unknown) => this.options.onError?.(error)));
    return true;
  }

  /**
   * Answers a re-sent request this service already took: the acknowledgement again while it is
   * queued, nothing while it runs (its statuses flow), and its final state from the store once it
   * ended (through the chat's queue). A client re-sends until it hears of its request, so it must.
   */
  reacknowledge(address: ChatAddress, requestId: string): void {
    const turn = this.live.get(`${chatKey(address)}/${requestId}`);
    if (turn) {
      if (!turn.started) void turn.publisher.acknowledge().catch(() => undefined);
      return;
    }
    if (!this.hasRoom(address)) return;
    this.enqueue(address, async () => {
      const known = await this.options.store.findTurn(address, requestId);
      if (known.length > 0) await this.announceStored(this.publisherFor(address, requestId), known);
    });
  }

  /** What this service knows of a turn it holds; null when it holds none. */
  liveLookup(address: ChatAddress, requestId: string): TurnLookup | null {
    const turn = this.live.get(`${chatKey(address)}/${requestId}`);
    if (!turn) return null;
    return { state: 'live', lastSeq: turn.publisher.lastSeq, messageId: turn.publisher.messageId };
  }

  /**
   * What is known of a turn: live here, or from the store. A turn the store says is running on a
   * worker that is gone is swept now and answered as failed; one running on a live worker elsewhere
   * is reported as `elsewhere` (the caller forwards or answers `live`).
   */
  async lookup(address: ChatAddress, requestId: string, isPresent: (workerId: string) => boolean): Promise<TurnLookup | { state: 'elsewhere'; workerId: string }> {
    const live = this.liveLookup(address, requestId);
    if (live) return live;
    const messages = await this.options.store.findTurn(address, requestId);
    if (messages.length === 0) return { state: 'unknown' };
    const turn = messages.find((entry) => entry.turn)?.turn;
    const answer = [...messages].reverse().find((entry) => entry.message.role === 'assistant')?.message;
    if (!turn || turn.state === 'running') {
      const runner = turn?.workerId;
      if (runner && runner !== this.options.workerId && isPresent(runner)) return { state: 'elsewhere', workerId: runner };
      await this.markInterrupted(address, requestId);
      return { state: 'finished', finalState: 'error', error: INTERRUPTED, ...(answer ? { message: answer } : {}) };
    }
    return { state: 'finished', finalState: turn.state, ...(answer ? { message: answer } : {}), ...(turn.error !== undefined ? { error: turn.error } : {}) };
  }

  /** Stops every turn of a chat held here (the chat was deleted). */
  abortChat(address: ChatAddress, reason: string): void {
    const prefix = `${chatKey(address)}/`;
    for (const [key, turn] of this.live) if (key.startsWith(prefix)) turn.abort.abort(new ChatKitError('turn-failed', reason));
  }

  /**
   * Marks failed every running turn whose worker is gone (by presence, not by age): turns of
   * absent workers, and turns of this worker id that this process does not hold (a restart).
   */
  async sweep(isPresent: (workerId: string) => boolean): Promise<number> {
    let swept = 0;
    for (const entry of await this.options.store.runningTurns()) {
      const address = { userId: entry.userId, chatId: entry.chatId };
      const runner = entry.turn.workerId;
      if (this.live.has(`${chatKey(address)}/${entry.turn.requestId}`)) continue;
      if (runner && runner !== this.options.workerId && isPresent(runner)) continue;
      if (await this.markInterrupted(address, entry.turn.requestId)) swept++;
    }
    return swept;
  }

  /** Waits for every job; aborts running turns after `timeoutMs`. */
  async drain(timeoutMs: number, reason: string): Promise<void> {
    const drained = Promise.allSettled([...this.running]);
    const timer = setTimeout(() => {
      for (const turn of this.live.values()) turn.abort.abort(new ChatKitError('turn-failed', reason));
    }, timeoutMs);
    await drained;
    clearTimeout(timer);
  }

  /** Publishes a chat list change to every device of the user. */
  publishChatEvent(userId: string, event: { op: 'upsert'; chat: ChatSummary } | { op: 'delete'; chatId: string }): void {
    const { client, topics } = this.options;
    void publishAsync(client, topics.userTopic(userId, 'chats'), encodeChatEvent({ eventId: randomId(), ...event }), { qos: 1 }).catch(() => undefined);
  }

  private publisherFor(address: ChatAddress, requestId: string, userMessage?: UIMessage): TurnPublisher {
    const { client, topics, publish } = this.options;
    return new TurnPublisher({
      client,
      topics,
      address,
      requestId,
      userMessage,
      messageId: `msg_${requestId}`,
      streamQos: publish.streamQos,
      completeQos: publish.completeQos,
      mergeWindowMs: publish.mergeWindowMs,
      coalescer: publish.coalescer,
      completeExpirySeconds: publish.completeExpirySeconds,
      replayBatchSize: 256,
      replayBudget: this.options.replayBudget,
      allowReplay: this.options.allowReplay,
    });
  }

  /** Tells a re-sending client how its stored request ended (nothing while it still runs elsewhere). */
  private async announceStored(publisher: TurnPublisher, known: StoredMessage[]): Promise<void> {
    const stored = known.find((entry) => entry.turn)?.turn;
    if (!stored || stored.state === 'running') return;
    const answer = known.find((entry) => entry.message.role === 'assistant')?.message;
    publisher.describe({ userMessage: known.find((entry) => entry.message.role === 'user')?.message, messageId: answer?.id ?? publisher.messageId });
    await publisher.announceFinished(stored.state, stored.error).catch(() => undefined);
  }

  private hasRoom(address: ChatAddress): boolean {
    const size = this.queues.get(chatKey(address))?.size ?? 0;
    if (size < this.maxQueued) return true;
    this.stats.queueFull++;
    return false;
  }

  private enqueue(address: ChatAddress, work: () => Promise<unknown>): void {
    const key = chatKey(address);
    const queue = this.queues.get(key) ?? { tail: Promise.resolve(), size: 0 };
    this.queues.set(key, queue);
    queue.size++;
    this.stats.active++;
    // Jobs of one chat run one after another, so its retained state and its history never interleave.
    const job = queue.tail.then(() => work()).then(
      () => undefined,
      (error: unknown) => this.options.onError?.(error),
    );
    queue.tail = job;
    this.running.add(job);
    void job.finally(() => {
      this.running.delete(job);
      this.stats.active--;
      queue.size--;
      if (queue.size === 0 && this.queues.get(key) === queue) this.queues.delete(key);
    });
  }

  private async run(turn: LiveTurn, request: RequestEnvelope, incoming: UIMessage | undefined): Promise<void> {
    const { store, client, topics, workerId } = this.options;
    const { address, publisher, abort } = turn;
    const key = `${chatKey(address)}/${turn.requestId}`;
    const release = () => {
      this.live.delete(key);
      releaseAfter(turn.controls, this.options.publish.replayGraceMs);
    };
    let prepared: PreparedTurn;
    try {
      // The store remembers requests across restarts: a request it holds is never run twice.
      const known = await store.findTurn(address, request.requestId);
      if (known.length > 0) {
        this.stats.storedDuplicates++;
        this.live.delete(key);
        void turn.controls.release();
        await this.announceStored(publisher, known);
        return;
      }
      prepared = await prepareTurn(store, address, request, incoming);
      const { chat } = await store.saveMessages(address, startWrites(prepared, request.requestId, workerId), prepared.replaceFrom !== undefined ? { replaceFrom: prepared.replaceFrom } : undefined);
      this.publishChatEvent(address.userId, { op: 'upsert', chat });
    } catch (error) {
      this.stats.rejected++;
      this.live.delete(key);
      void turn.controls.release();
      const text = error instanceof InvalidRequestError ? error.message : 'The chat could not be loaded; please try again.';
      if (!(error instanceof InvalidRequestError)) this.options.onError?.(error);
      await publishRefusal(client, topics, address, request.requestId, text).catch(() => undefined);
      return;
    }
    turn.started = true;
    publisher.describe({ userMessage: prepared.userMessage, messageId: prepared.messageId });
    void publisher.start().catch(() => undefined);
    const source = toChunkStream(() =>
      this.options.handler({
        messages: prepared.messages,
        chatId: address.chatId,
        userId: address.userId,
        requestId: request.requestId,
        trigger: request.trigger,
        messageId: request.messageId,
        body: request.body ?? {},
        abortSignal: abort.signal,
      }),
    );
    const outcome = await pumpTurn(publisher, source, abort.signal);
    const result = await publisher.finish(outcome.state, outcome.error, async (state, error) => {
      try {
        const answer = await answerOf(prepared, publisher.log);
        const { chat } = await store.saveMessages(address, endWrites(prepared, answer, finalTurn(request.requestId, workerId, state, error)));
        this.publishChatEvent(address.userId, { op: 'upsert', chat });
      } catch (storeError) {
        // The answer still reaches every device live and through `complete`; the store is told nothing.
        this.options.onError?.(storeError);
      }
    }, () => {
      // Only now does a lookup answer from the store ("finished"): the end flag is out, and the
      // final status and `complete` follow. Answering "finished" while the answer was still being
      // stored let a page still reading the turn end its stream with the tail missing (seen in the
      // HTTP-trigger e2e under load).
      this.live.delete(key);
    });
    // A publisher that had already ended (a sweep, a refusal) calls neither callback.
    this.live.delete(key);
    release();
    this.stats.served++;
    this.stats.replaysRefused += result.replaysRefused;
    this.options.onTurn?.(result);
  }

  /** Marks a dead runner's turn failed in the store and, when it is the chat's latest, for every device. */
  private async markInterrupted(address: ChatAddress, requestId: string): Promise<boolean> {
    const { store, client, topics, workerId } = this.options;
    const messages = await store.findTurn(address, requestId);
    const running = messages.filter((entry) => entry.turn?.state === 'running');
    if (running.length === 0) return false;
    const turn = finalTurn(requestId, running[0].turn?.workerId ?? workerId, 'error', INTERRUPTED);
    const { chat } = await store.saveMessages(address, running.map((entry) => ({ message: entry.message, turn })));
    this.stats.swept++;
    this.publishChatEvent(address.userId, { op: 'upsert', chat });
    const latest = (await store.loadMessages(address, { limit: 1 })).messages[0];
    if (latest && messages.some((entry) => entry.message.id === latest.message.id)) {
      const userMessage = messages.find((entry) => entry.message.role === 'user')?.message;
      const assistant = messages.find((entry) => entry.message.role === 'assistant')?.message;
      await publishInterrupted(client, topics, address, { requestId, messageId: assistant?.id ?? `msg_${requestId}`, userMessage, error: INTERRUPTED }).catch(() => undefined);
    }
    return true;
  }
}
