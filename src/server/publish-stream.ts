/**
 * `publishStreamToMqtt`: the server half of the protocol for one turn. Give it a `streamText`
 * result (or any stream of UI message chunks) and it publishes what every client of the chat
 * needs, answers `replay` and `abort` for this turn while it runs, and resolves with totals.
 */
import type { UIMessage, UIMessageChunk } from 'ai';
import { randomId } from '../transport/ids.js';
import type { MqttClientLike } from '../transport/mqtt-client.js';
import { assertSegment, DEFAULT_TOPIC_PREFIX, TopicScheme, type ChatAddress } from '../transport/topics.js';
import { isValidRequestId } from '../transport/envelope.js';
import { ChatKitError } from '../transport/errors.js';
import { ControlRouter } from './control-router.js';
import { TurnPublisher, type PublishedTurn } from './turn-publisher.js';
import { enableNoDelay } from './no-delay.js';

/** Something that can become a UI message chunk stream: a `streamText` result or the stream itself. */
export type ChunkSource = ReadableStream<UIMessageChunk> | { toUIMessageStream(options?: object): ReadableStream<UIMessageChunk> | AsyncIterable<UIMessageChunk> };

/** Options of {@link publishStreamToMqtt}. */
export interface PublishStreamOptions {
  /** The id the client filters on. Default: a fresh one. */
  requestId?: string;
  topicPrefix?: string;
  /** QoS of stream envelopes. Default 0: gaps are repaired by replay, not by the broker. */
  streamQos?: 0 | 1;
  /** QoS of the retained `complete`. Default 1. */
  completeQos?: 0 | 1;
  /** Aborts publishing (and, through `abortController`, the model call). */
  signal?: AbortSignal;
  /** The controller whose signal the model call uses: a client's `stop()` aborts it. */
  abortController?: AbortController;
  /** The user message that started the turn, shown by other devices. */
  userMessage?: UIMessage;
  /** The assistant message id; injected into the `start` chunk so every device agrees on it. */
  messageId?: string;
  /** Merge window for text deltas in ms. Default {@link DEFAULT_MERGE_WINDOW_MS}. */
  mergeWindowMs?: number;
  /** MQTT 5 expiry of the retained `complete`, seconds. Default 86 400. */
  completeExpirySeconds?: number;
  /** How long the log of a finished turn still answers replays, ms. Default 30 000. */
  replayGraceMs?: number;
  /** Called once the turn is registered and its control topic subscribed. */
  onStart?: (turn: TurnPublisher) => void;
}

/**
 * Default text-delta merge window: 0, i.e. deltas that arrive in the same event-loop turn share a
 * publish and nothing waits. Chosen from the coalescing benchmark (`npm run bench coalescing`,
 * embedded broker, bench/results/latest.md): at 200 and 1 000 tok/s a 16 ms window adds ~9 ms to
 * p50 latency (0.3 ms -> 9 ms; SSE 0.1-0.3 ms) for 3-15x fewer messages; at 50 tok/s (20 ms between
 * tokens) 0 and 16 behave the same. Set `mergeWindowMs: 16` when messages per second matter more
 * than milliseconds (fast models fanned out to many devices, brokers billed per message).
 */
export const DEFAULT_MERGE_WINDOW_MS = 0;

const PUBLISH_DEFAULTS = {
  topicPrefix: DEFAULT_TOPIC_PREFIX,
  streamQos: 0 as 0 | 1,
  completeQos: 1 as 0 | 1,
  mergeWindowMs: DEFAULT_MERGE_WINDOW_MS,
  completeExpirySeconds: 86_400,
  replayGraceMs: 30_000,
};

const schemes = new Map<string, TopicScheme>();
function schemeFor(prefix: string): TopicScheme {
  let scheme = schemes.get(prefix);
  if (!scheme) schemes.set(prefix, (scheme = new TopicScheme(prefix)));
  return scheme;
}

/** Publishes one turn to `{prefix}/{userId}/{chatId}/...` and resolves when it is complete. */
export async function publishStreamToMqtt(
  client: MqttClientLike,
  target: ChatAddress,
  source: ChunkSource,
  options: PublishStreamOptions = {},
): Promise<PublishedTurn> {
  const settings = { ...PUBLISH_DEFAULTS, ...definedOnly(options) };
  assertSegment('userId', target.userId);
  assertSegment('chatId', target.chatId);
  const requestId = options.requestId ?? randomId();
  if (!isValidRequestId(requestId)) throw new ChatKitError('invalid-request', 'requestId must match [A-Za-z0-9_-]{1,64}');
  const topics = schemeFor(settings.topicPrefix);
  const messageId = options.messageId ?? `msg_${requestId}`;
  // Every publisher, not only createChatWorker's client: the HTTP trigger publishes with the app's client.
  enableNoDelay(client);
  const turn = new TurnPublisher({
    client,
    topics,
    address: target,
    requestId,
    userMessage: options.userMessage,
    messageId,
    streamQos: settings.streamQos,
    completeQos: settings.completeQos,
    mergeWindowMs: settings.mergeWindowMs,
    completeExpirySeconds: settings.completeExpirySeconds,
    replayBatchSize: 256,
  });
  const abortController = options.abortController ?? new AbortController();
  const onOuterAbort = () => abortController.abort(options.signal?.reason);
  if (options.signal?.aborted) onOuterAbort();
  else options.signal?.addEventListener('abort', onOuterAbort, { once: true });

  const control = ControlRouter.for(client).register(topics, target, {
    requestId,
    onControl: (message) => {
      if (message.op === 'abort') abortController.abort(new ChatKitError('turn-failed', 'Stopped by the user.'));
      else turn.replay(message.fromSeq, message.clientId);
    },
  });
  // Not awaited before the first chunk: the first token must not wait for a SUBACK round trip.
  void control.ready;
  options.onStart?.(turn);

  let state: 'done' | 'error' | 'aborted' = 'done';
  let errorText: string | undefined;
  try {
    if (turn.turnState === 'queued') void turn.setStatus('thinking').catch(() => undefined);
    const reader = toReader(source);
    const onAbort = () => void reader.cancel().catch(() => undefined);
    abortController.signal.addEventListener('abort', onAbort, { once: true });
    let sawStart = false;
    let generating = false;
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done || abortController.signal.aborted) break;
        if (!value || typeof value !== 'object' || typeof value.type !== 'string') continue;
        let chunk = value;
        if (!sawStart) {
          sawStart = true;
          // Every device must write the answer into the same message id.
          if (chunk.type === 'start') chunk = { ...chunk, messageId: chunk.messageId ?? messageId };
          else turn.push({ type: 'start', messageId });
        }
        if (!generating && (chunk.type === 'text-delta' || chunk.type === 'reasoning-delta' || chunk.type === 'tool-input-start')) {
          generating = true;
          void turn.setStatus('generating').catch(() => undefined);
        }
        if (chunk.type === 'error') {
          state = 'error';
          errorText = chunk.errorText;
        }
        if (chunk.type === 'abort') continue; // we publish our own, once, below
        turn.push(chunk);
      }
    } finally {
      abortController.signal.removeEventListener('abort', onAbort);
    }
    if (abortController.signal.aborted) {
      state = 'aborted';
      if (!sawStart) turn.push({ type: 'start', messageId });
      turn.push({ type: 'abort' } as UIMessageChunk);
    }
  } catch (error) {
    if (abortController.signal.aborted) {
      state = 'aborted';
      turn.push({ type: 'abort' } as UIMessageChunk);
    } else {
      state = 'error';
      errorText = error instanceof Error ? error.message : String(error);
      turn.push({ type: 'error', errorText });
    }
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
  const result = await turn.finish(state, errorText);
  // Late replays (a client that lost the last envelope) are still answered for a while.
  if (settings.replayGraceMs > 0) {
    const timer = setTimeout(control.release, settings.replayGraceMs);
    (timer as { unref?: () => void }).unref?.();
  } else control.release();
  return result;
}

function toReader(source: ChunkSource): ReadableStreamDefaultReader<UIMessageChunk> {
  if (source instanceof ReadableStream) return source.getReader();
  if (source && typeof (source as { toUIMessageStream?: unknown }).toUIMessageStream === 'function') {
    const stream = source.toUIMessageStream({ sendReasoning: true });
    if (stream instanceof ReadableStream) return stream.getReader();
    return iterableToStream(stream).getReader();
  }
  throw new ChatKitError('invalid-options', 'publishStreamToMqtt needs a streamText result or a ReadableStream of UI message chunks.');
}

function iterableToStream<T>(iterable: AsyncIterable<T>): ReadableStream<T> {
  const iterator = iterable[Symbol.asyncIterator]();
  return new ReadableStream<T>({
    async pull(controller) {
      const { value, done } = await iterator.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
