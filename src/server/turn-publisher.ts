/**
 * Publishes one turn and owns every status change of it: the `queued` acknowledgement, `thinking`,
 * `generating`, the final `done`/`error`/`aborted`, and the answer to a refused request. It also
 * numbers the chunks, merges text deltas, keeps the log that answers `replay` (within budgets), and
 * publishes the retained `complete`. One instance per turn; nothing else publishes a turn's status.
 */
import type { UIMessage, UIMessageChunk } from 'ai';
import { encodeComplete, encodeStatus, encodeStream, mergeDeltas, type StatusEnvelope, type TurnState } from '../transport/envelope.js';
import { publishAsync, type MqttClientLike } from '../transport/mqtt-client.js';
import type { ChatAddress, TopicScheme } from '../transport/topics.js';
import type { AdaptiveCoalescer } from './adaptive-coalescer.js';

/** How much one turn answers `replay` controls; past a budget, replays are refused and counted. */
export interface ReplayBudget {
  /** Replays honoured per client and turn. Default 32. */
  perClient: number;
  /** Replays honoured per turn, all clients together. Default 512. */
  perTurn: number;
}

/** Replay requests answered per client and per turn before further ones are refused (issue 14, F4). */
export const DEFAULT_REPLAY_BUDGET: ReplayBudget = { perClient: 32, perTurn: 512 };

export interface TurnPublisherOptions {
  client: MqttClientLike;
  topics: TopicScheme;
  address: ChatAddress;
  requestId: string;
  userMessage?: UIMessage;
  messageId: string;
  streamQos: 0 | 1;
  completeQos: 0 | 1;
  /** Text deltas arriving within this many ms after a publish are merged into the next one. */
  mergeWindowMs: number;
  /**
   * The connection's adaptive coalescer: when given, its window replaces `mergeWindowMs` (0 while
   * the link keeps up) and this publisher feeds it each stream publish's completion lag and the
   * socket's backlog.
   */
  coalescer?: AdaptiveCoalescer;
  /** MQTT 5 message expiry of the retained `complete`, seconds. */
  completeExpirySeconds: number;
  /** Max chunks per replay envelope. */
  replayBatchSize: number;
  replayBudget?: ReplayBudget;
  /** Asked before each replay (a worker-wide per-client budget); false refuses it. */
  allowReplay?: (clientId: string) => boolean;
}

/** Totals a finished turn reports. */
export interface PublishedTurn {
  requestId: string;
  state: 'done' | 'error' | 'aborted';
  /** Chunks published (after merging), i.e. the last sequence number + 1. */
  chunks: number;
  /** Stream envelopes published (live, not replays). */
  envelopes: number;
  /** Payload bytes of those envelopes. */
  bytes: number;
  replays: number;
  /** Replay controls refused: one already outstanding for that client, or a budget spent. */
  replaysRefused: number;
  text: string;
  error?: string;
}

const MAX_BATCH_BYTES = 64 * 1024;
/** How a turn ends. */
export type FinalState = 'done' | 'error' | 'aborted';

export class TurnPublisher {
  readonly log: UIMessageChunk[] = [];
  private buffer: UIMessageChunk[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  /** Window 0: deltas of one event-loop turn go out together at its end (no added wait). */
  private flushSoon: { cancel(): void } | undefined;
  /** When text deltas last went out. Structure chunks (`start`, `text-start`) do not count: they
   * would otherwise hold the first token of every turn for a whole window (measured: +16 ms TTFT). */
  private lastDeltaFlushAt = 0;
  private state: TurnState = 'queued';
  private ended = false;
  private sawStart = false;
  /** The first `error` chunk of the source: the turn ends as `error` with this text. */
  private sourceError: string | undefined;
  envelopes = 0;
  bytes = 0;
  replays = 0;
  replaysRefused = 0;
  private readonly replaysByClient = new Map<string, number>();
  private readonly replayOutstanding = new Set<string>();
  private readonly pendingPublishes = new Set<Promise<void>>();

  constructor(private readonly options: TurnPublisherOptions) {}

  get requestId(): string {
    return this.options.requestId;
  }

  get messageId(): string {
    return this.options.messageId;
  }

  /**
   * Names the user message and the assistant message id once the conversation is loaded (after the
   * `queued` acknowledgement, before {@link start}); a continuation writes into an existing id.
   */
  describe(turn: { userMessage?: UIMessage; messageId: string }): void {
    this.options.userMessage = turn.userMessage;
    this.options.messageId = turn.messageId;
  }

  get lastSeq(): number {
    return this.log.length - 1;
  }

  get turnState(): TurnState {
    return this.state;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** The error text of the source's `error` chunk, when it sent one. */
  get errorText(): string | undefined {
    return this.sourceError;
  }

  /**
   * The acknowledgement of an accepted request: `queued`, not retained, so it never replaces the
   * retained status of a turn still running in the chat. The requesting client stops re-sending on it.
   */
  acknowledge(): Promise<void> {
    return this.publishStatus('queued', { retain: false });
  }

  /**
   * Tells a client that re-sent a request the store already finished how it ended: the final
   * state, not retained (the chat's retained status may belong to a later turn).
   */
  announceFinished(state: FinalState, error?: string): Promise<void> {
    return this.publishStatus(state, { retain: false, error });
  }

  /** The turn starts: retained `thinking`. */
  start(): Promise<void> {
    return this.publishStatus('thinking', { retain: true });
  }

  /**
   * Queues a chunk. The first chunk is always a `start` with the turn's message id, so every device
   * writes into the same message. A source's own `abort` is dropped: {@link finish} publishes one.
   * Leading edge merge: if nothing went out during the last window the chunk is sent at once (first
   * tokens are never delayed); otherwise it waits for the window to close.
   */
  push(chunk: UIMessageChunk): void {
    if (chunk.type !== 'abort') this.append(chunk);
  }

  private append(chunk: UIMessageChunk): void {
    if (this.ended) return;
    if (!this.sawStart) {
      this.sawStart = true;
      if (chunk.type === 'start') chunk = { ...chunk, messageId: this.options.messageId };
      else this.append({ type: 'start', messageId: this.options.messageId });
    } else if (chunk.type === 'start') {
      // A multi-step source may start again: the message id stays the turn's.
      chunk = { ...chunk, messageId: this.options.messageId };
    }
    if (chunk.type === 'error') this.sourceError ??= chunk.errorText;
    if (this.state === 'thinking' && (chunk.type === 'text-delta' || chunk.type === 'reasoning-delta' || chunk.type === 'tool-input-start')) {
      void this.publishStatus('generating', { retain: true });
    }
    this.buffer.push(chunk);
    const window = this.mergeWindowMs();
    const isDelta = chunk.type === 'text-delta' || chunk.type === 'reasoning-delta';
    if (!isDelta) {
      // Structure chunks are rare and carry state changes: publish them with whatever is buffered.
      this.flush();
      return;
    }
    if (window <= 0) {
      // Chunks a provider delivers in one packet, or that piled up while the loop was busy, share
      // one publish; a lone token still leaves within the same event-loop turn.
      this.flushSoon ??= atEndOfTurn(() => this.flush());
      return;
    }
    const sinceLast = Date.now() - this.lastDeltaFlushAt;
    if (sinceLast >= window && !this.flushTimer) this.flush();
    else if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), window - Math.min(sinceLast, window));
  }

  /** Publishes the buffered chunks as one envelope. */
  flush(end = false): void {
    this.cancelFlush();
    if (this.buffer.length === 0 && !end) return;
    const chunks = mergeDeltas(this.buffer);
    this.buffer = [];
    if (chunks.length === 0) return; // the final status tells readers where the turn ends
    const seq = this.log.length;
    const payload = this.encodeChunks(seq, chunks, end);
    for (const chunk of chunks) this.log.push(chunk);
    this.envelopes++;
    this.bytes += payload.length;
    if (chunks.some((chunk) => chunk.type === 'text-delta' || chunk.type === 'reasoning-delta')) this.lastDeltaFlushAt = Date.now();
    this.publishStream(payload);
  }

  /**
   * Answers a client's `replay`: the logged chunks from `fromSeq` (to `toSeq`, exclusive, when the
   * client named the end of its gap), to that client only. One replay per client is outstanding at
   * a time, and each client and the turn have a budget; refused replays are counted. Replays are
   * never waited for by {@link finish}: a subscriber that stops reading delays only itself.
   */
  replay(fromSeq: number, clientId: string, toSeq?: number): void {
    const budget = this.options.replayBudget ?? DEFAULT_REPLAY_BUDGET;
    const used = this.replaysByClient.get(clientId) ?? 0;
    if (this.replayOutstanding.has(clientId) || used >= budget.perClient || this.replays >= budget.perTurn || this.options.allowReplay?.(clientId) === false) {
      this.replaysRefused++;
      return;
    }
    const total = this.log.length;
    const stop = Math.min(total, toSeq ?? total);
    const sends: Array<Promise<void>> = [];
    const { client, topics, address } = this.options;
    const topic = topics.topic(address, 'replay', clientId);
    if (fromSeq >= stop) {
      // Nothing to send yet; an ended turn still tells the client where it ends.
      if (!(this.ended && total > 0)) return;
      sends.push(publishAsync(client, topic, this.encodeChunks(total - 1, [this.log[total - 1]], true), { qos: 1 }));
    }
    for (let start = fromSeq; start < stop; ) {
      let end = Math.min(stop, start + this.options.replayBatchSize);
      let payload = this.encodeChunks(start, this.log.slice(start, end), this.ended && end === total);
      while (payload.length > MAX_BATCH_BYTES && end - start > 1) {
        end = start + Math.max(1, Math.floor((end - start) / 2));
        payload = this.encodeChunks(start, this.log.slice(start, end), this.ended && end === total);
      }
      sends.push(publishAsync(client, topic, payload, { qos: 1 }));
      start = end;
    }
    this.replays++;
    this.replaysByClient.set(clientId, used + 1);
    this.replayOutstanding.add(clientId);
    void Promise.allSettled(sends).then(() => this.replayOutstanding.delete(clientId));
  }

  /**
   * Ends the turn: last envelope with the end flag, then `persist` (the answer reaches the store
   * before anyone can read it as finished), the retained `complete`, and the final status. The
   * final status is published even when encoding the `complete` fails.
   */
  async finish(
    requested: FinalState,
    error?: string,
    persist?: (state: FinalState, error: string | undefined) => Promise<void>,
    /** Called once the end flag is out, before the final status and `complete`. */
    onEndFlag?: () => void,
  ): Promise<PublishedTurn> {
    const state: FinalState = requested === 'done' && this.sourceError !== undefined ? 'error' : requested;
    const errorText = state === 'error' ? (error ?? this.sourceError) : undefined;
    if (!this.ended) {
      if (state === 'aborted') this.append({ type: 'abort' } as UIMessageChunk);
      if (state === 'error' && this.sourceError === undefined) this.append({ type: 'error', errorText: errorText ?? 'The turn failed.' });
      if (!this.sawStart) this.append({ type: 'start', messageId: this.options.messageId });
      this.ended = true;
      // Stored before the end flag leaves: a page whose stream ended (and shows "Done") and every
      // device that loads the chat afterwards find the answer in the store.
      await persist?.(state, errorText);
      this.flushFinal();
      onEndFlag?.();
      const { client, topics, address, completeQos, completeExpirySeconds } = this.options;
      const isMqtt5 = client.options?.protocolVersion === 5;
      const complete = this.encodeComplete(state);
      await this.track(
        publishAsync(client, topics.topic(address, 'complete'), complete, {
          qos: completeQos,
          retain: true,
          ...(isMqtt5 ? { properties: { messageExpiryInterval: completeExpirySeconds } } : {}),
        }),
      ).catch(() => undefined);
      await this.publishStatus(state, { retain: true, error: errorText }).catch(() => undefined);
    }
    await Promise.allSettled([...this.pendingPublishes]);
    return {
      requestId: this.options.requestId,
      state,
      chunks: this.log.length,
      envelopes: this.envelopes,
      bytes: this.bytes,
      replays: this.replays,
      replaysRefused: this.replaysRefused,
      text: textOf(this.log),
      ...(errorText !== undefined ? { error: errorText } : {}),
    };
  }

  private publishStatus(state: TurnState, options: { retain: boolean; error?: string }): Promise<void> {
    this.state = state;
    const { client, topics, address } = this.options;
    const payload = encodeStatusSafely({
      requestId: this.options.requestId,
      state,
      lastSeq: this.lastSeq,
      userMessage: this.options.userMessage,
      messageId: this.options.messageId,
      error: options.error,
      at: Date.now(),
    });
    return this.track(publishAsync(client, topics.topic(address, 'status'), payload, { qos: 1, retain: options.retain }));
  }

  private encodeChunks(seq: number, chunks: UIMessageChunk[], end: boolean): string {
    try {
      return encodeStream({ requestId: this.options.requestId, seq, chunks, end });
    } catch {
      // A chunk too deep (or cyclic) to encode: it becomes an error chunk, keeping the sequence whole.
      const replacement: UIMessageChunk = { type: 'error', errorText: 'A chunk of the answer could not be encoded.' };
      this.sourceError ??= replacement.errorText;
      chunks.splice(0, chunks.length, ...chunks.map(() => replacement));
      return encodeStream({ requestId: this.options.requestId, seq, chunks, end });
    }
  }

  private encodeComplete(state: FinalState): string {
    const at = Date.now();
    try {
      return encodeComplete({ requestId: this.options.requestId, state, userMessage: this.options.userMessage, chunks: mergeDeltas(this.log), at });
    } catch {
      return encodeComplete({ requestId: this.options.requestId, state, chunks: [{ type: 'error', errorText: 'The answer could not be encoded.' }], at });
    }
  }

  /** The window for the next delta: the coalescer's while one is configured, else the fixed one. */
  private mergeWindowMs(): number {
    const { coalescer } = this.options;
    if (!coalescer) return this.options.mergeWindowMs;
    coalescer.observeBacklog(socketBacklog(this.options.client));
    return coalescer.windowMs();
  }

  private cancelFlush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushSoon?.cancel();
    this.flushSoon = undefined;
  }

  private flushFinal(): void {
    this.cancelFlush();
    if (this.buffer.length > 0) {
      this.flush(true);
      return;
    }
    // The last chunk already went out without the end flag: re-send it flagged (readers dedupe by seq).
    const last = this.log.length - 1;
    if (last < 0) return;
    this.publishStream(this.encodeChunks(last, [this.log[last]], true));
  }

  /**
   * QoS 0 stream envelopes are not waited for: MQTT.js calls a QoS 0 publish back on the socket's
   * `drain`, which never comes when the socket dies with a full buffer (a broker restart), and
   * `finish()` then hung forever, blocking every later turn of the chat on this worker (found by
   * the chaos suite). A lost envelope is what replay repairs.
   */
  private publishStream(payload: string): void {
    const { client, topics, address, streamQos, coalescer } = this.options;
    const sent = publishAsync(client, topics.topic(address, 'stream'), payload, { qos: streamQos });
    if (coalescer) {
      // QoS 1 completes on the PUBACK, QoS 0 once the socket took the bytes: either way its lag
      // grows when the link backs up.
      const sentAt = performance.now();
      void sent.then(() => coalescer.observeAckLag(performance.now() - sentAt)).catch(() => undefined);
    }
    if (streamQos === 1) this.track(sent);
    else void sent.catch(() => undefined);
  }

  private track(promise: Promise<void>): Promise<void> {
    const tracked = promise.catch(() => undefined);
    this.pendingPublishes.add(tracked);
    void tracked.finally(() => this.pendingPublishes.delete(tracked));
    return promise;
  }
}

/** Bytes the client's socket holds that the kernel has not taken yet (0 when the client hides its socket). */
function socketBacklog(client: MqttClientLike): number {
  const stream = (client as { stream?: { writableLength?: unknown } }).stream;
  return typeof stream?.writableLength === 'number' ? stream.writableLength : 0;
}

/**
 * The answer to a request that will not run (invalid, too large, over the rate limit): a `start`
 * and an `error` chunk on `stream` and an `error` status, none of them retained, so a refused
 * request leaves no state at the broker and never replaces the status of a live turn.
 */
export async function publishRefusal(client: MqttClientLike, topics: TopicScheme, address: ChatAddress, requestId: string, errorText: string): Promise<void> {
  const messageId = `msg_${requestId}`;
  const chunks: UIMessageChunk[] = [
    { type: 'start', messageId },
    { type: 'error', errorText },
  ];
  await Promise.all([
    publishAsync(client, topics.topic(address, 'stream'), encodeStream({ requestId, seq: 0, chunks, end: true }), { qos: 1 }),
    publishAsync(client, topics.topic(address, 'status'), encodeStatusSafely({ requestId, state: 'error', lastSeq: chunks.length - 1, messageId, error: errorText, at: Date.now() }), { qos: 1, retain: false }),
  ]);
}

/**
 * Ends, for every device, a turn whose worker died: the retained `complete` and `error` status a
 * live worker publishes when its sweep marks the turn failed.
 */
export async function publishInterrupted(client: MqttClientLike, topics: TopicScheme, address: ChatAddress, turn: { requestId: string; messageId: string; userMessage?: UIMessage; error: string }): Promise<void> {
  const chunks: UIMessageChunk[] = [
    { type: 'start', messageId: turn.messageId },
    { type: 'error', errorText: turn.error },
  ];
  const at = Date.now();
  let complete: string;
  try {
    complete = encodeComplete({ requestId: turn.requestId, state: 'error', userMessage: turn.userMessage, chunks, at });
  } catch {
    complete = encodeComplete({ requestId: turn.requestId, state: 'error', chunks, at });
  }
  await publishAsync(client, topics.topic(address, 'complete'), complete, { qos: 1, retain: true });
  await publishAsync(
    client,
    topics.topic(address, 'status'),
    encodeStatusSafely({ requestId: turn.requestId, state: 'error', lastSeq: -1, messageId: turn.messageId, userMessage: turn.userMessage, error: turn.error, at }),
    { qos: 1, retain: true },
  );
}

/** A status always encodes: a user message too deep to serialise is left out rather than losing the status. */
function encodeStatusSafely(status: StatusEnvelope): string {
  try {
    return encodeStatus(status);
  } catch {
    return encodeStatus({ ...status, userMessage: undefined });
  }
}

/** Concatenated text of a chunk log: what a client renders as the answer's text parts. */
export function textOf(chunks: readonly UIMessageChunk[]): string {
  let text = '';
  for (const chunk of chunks) if (chunk.type === 'text-delta') text += chunk.delta;
  return text;
}

/** Runs `fn` once the current event-loop turn's I/O and microtasks are done (Node's check phase). */
function atEndOfTurn(fn: () => void): { cancel(): void } {
  if (typeof setImmediate === 'function') {
    const handle = setImmediate(fn);
    return { cancel: () => clearImmediate(handle) };
  }
  const handle = setTimeout(fn, 0);
  return { cancel: () => clearTimeout(handle) };
}
