/**
 * Publishes one turn: sequence numbers, the merge window, the in-memory log that answers
 * `replay`, status transitions, and the retained `complete`. One instance per live turn.
 */
import type { UIMessage, UIMessageChunk } from 'ai';
import {
  encodeComplete,
  encodeStatus,
  encodeStream,
  mergeDeltas,
  type TurnState,
} from '../transport/envelope.js';
import { publishAsync, type MqttClientLike } from '../transport/mqtt-client.js';
import type { ChatAddress, TopicScheme } from '../transport/topics.js';

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
  /** MQTT 5 message expiry of the retained `complete`, seconds. */
  completeExpirySeconds: number;
  /** Max chunks per replay envelope. */
  replayBatchSize: number;
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
  text: string;
}

const MAX_BATCH_BYTES = 64 * 1024;

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
  envelopes = 0;
  bytes = 0;
  replays = 0;
  private readonly pendingPublishes = new Set<Promise<void>>();

  constructor(private readonly options: TurnPublisherOptions) {}

  get requestId(): string {
    return this.options.requestId;
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

  setStatus(state: TurnState, error?: string): Promise<void> {
    this.state = state;
    const { client, topics, address } = this.options;
    return this.track(
      publishAsync(
        client,
        topics.topic(address, 'status'),
        encodeStatus({
          requestId: this.options.requestId,
          state,
          lastSeq: this.lastSeq,
          userMessage: this.options.userMessage,
          messageId: this.options.messageId,
          error,
          at: Date.now(),
        }),
        { qos: 1, retain: true },
      ),
    );
  }

  /**
   * Queues a chunk. Leading edge: if nothing went out during the last window the chunk is sent
   * at once (first tokens are never delayed); otherwise it waits for the window to close.
   */
  push(chunk: UIMessageChunk): void {
    if (this.ended) return;
    this.buffer.push(chunk);
    const window = this.options.mergeWindowMs;
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
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushSoon?.cancel();
    this.flushSoon = undefined;
    if (this.buffer.length === 0 && !end) return;
    const chunks = mergeDeltas(this.buffer);
    this.buffer = [];
    if (chunks.length === 0) {
      // Nothing left to carry the end flag: the final status tells readers where the turn ends.
      return;
    }
    const seq = this.log.length;
    for (const chunk of chunks) this.log.push(chunk);
    const payload = encodeStream({ requestId: this.options.requestId, seq, chunks, end });
    this.envelopes++;
    this.bytes += payload.length;
    if (chunks.some((chunk) => chunk.type === 'text-delta' || chunk.type === 'reasoning-delta')) this.lastDeltaFlushAt = Date.now();
    this.publishStream(payload);
  }

  /** Answers a client's `replay`: every logged chunk from `fromSeq`, to that client only. */
  replay(fromSeq: number, clientId: string): void {
    const { client, topics, address } = this.options;
    const topic = topics.topic(address, 'replay', clientId);
    this.replays++;
    const total = this.log.length;
    if (fromSeq >= total) {
      // Nothing to send yet; an ended turn still tells the client where it ends.
      if (this.ended && total > 0) {
        this.track(publishAsync(client, topic, encodeStream({ requestId: this.options.requestId, seq: total - 1, chunks: [this.log[total - 1]], end: true }), { qos: 1 }));
      }
      return;
    }
    for (let start = fromSeq; start < total; ) {
      let end = Math.min(total, start + this.options.replayBatchSize);
      let payload = encodeStream({ requestId: this.options.requestId, seq: start, chunks: this.log.slice(start, end), end: this.ended && end === total });
      while (payload.length > MAX_BATCH_BYTES && end - start > 1) {
        end = start + Math.max(1, Math.floor((end - start) / 2));
        payload = encodeStream({ requestId: this.options.requestId, seq: start, chunks: this.log.slice(start, end), end: this.ended && end === total });
      }
      this.track(publishAsync(client, topic, payload, { qos: 1 }));
      start = end;
    }
  }

  /** Ends the turn: last envelope with the end flag, retained `complete`, then the final status. */
  async finish(state: 'done' | 'error' | 'aborted', error?: string): Promise<PublishedTurn> {
    if (!this.ended) {
      this.ended = true;
      this.flushFinal();
      const { client, topics, address, completeQos, completeExpirySeconds } = this.options;
      const isMqtt5 = client.options?.protocolVersion === 5;
      await this.track(
        publishAsync(
          client,
          topics.topic(address, 'complete'),
          encodeComplete({ requestId: this.options.requestId, state, userMessage: this.options.userMessage, chunks: mergeDeltas(this.log), at: Date.now() }),
          { qos: completeQos, retain: true, ...(isMqtt5 ? { properties: { messageExpiryInterval: completeExpirySeconds } } : {}) },
        ),
      ).catch(() => undefined);
      await this.setStatus(state, error).catch(() => undefined);
    }
    await Promise.allSettled([...this.pendingPublishes]);
    return {
      requestId: this.options.requestId,
      state,
      chunks: this.log.length,
      envelopes: this.envelopes,
      bytes: this.bytes,
      replays: this.replays,
      text: textOf(this.log),
    };
  }

  private flushFinal(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushSoon?.cancel();
    this.flushSoon = undefined;
    if (this.buffer.length > 0) {
      this.flush(true);
      return;
    }
    // The last chunk already went out without the end flag: re-send it flagged (readers dedupe by seq).
    const last = this.log.length - 1;
    if (last < 0) return;
    this.publishStream(encodeStream({ requestId: this.options.requestId, seq: last, chunks: [this.log[last]], end: true }));
  }

  /**
   * QoS 0 stream envelopes are not waited for: MQTT.js calls a QoS 0 publish back on the socket's
   * `drain`, which never comes when the socket dies with a full buffer (a broker restart), and
   * `finish()` then hung forever, blocking every later turn of the chat on this worker (found by
   * the chaos suite). A lost envelope is what replay repairs.
   */
  private publishStream(payload: string): void {
    const { client, topics, address, streamQos } = this.options;
    const sent = publishAsync(client, topics.topic(address, 'stream'), payload, { qos: streamQos });
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
