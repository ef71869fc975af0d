/**
 * `publishStreamToMqtt`: the server half of the protocol for one turn. Give it a `streamText`
 * result (or any stream of UI message chunks) and it publishes what every client of the chat
 * needs, answers `replay` and `abort` for this turn while it runs, and resolves with totals.
 */
import type { UIMessage } from 'ai';
import { randomId } from '../transport/ids.js';
import type { MqttClientLike } from '../transport/mqtt-client.js';
import { assertSegment, DEFAULT_TOPIC_PREFIX, TopicScheme, type ChatAddress } from '../transport/topics.js';
import { isValidRequestId } from '../transport/envelope.js';
import { ChatKitError } from '../transport/errors.js';
import { routeTurnControls } from './control-router.js';
import { TurnPublisher, type PublishedTurn } from './turn-publisher.js';
import type { AdaptiveCoalescer } from './adaptive-coalescer.js';
import { toChunkStream, type ChunkSource } from './chunk-source.js';
import { pumpTurn } from './turn-runner.js';
import type { Route } from './message-dispatcher.js';
import { enableNoDelay } from './no-delay.js';

export type { ChunkSource } from './chunk-source.js';

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
  /**
   * The adaptive coalescer of `client`'s connection (one per connection, shared by its turns): when
   * given, its window replaces `mergeWindowMs`. See {@link AdaptiveCoalescer}.
   */
  coalescer?: AdaptiveCoalescer;
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
  // Every publisher, not only createChatWorker's client: the HTTP trigger publishes with the app's client.
  enableNoDelay(client);
  const turn = new TurnPublisher({
    client,
    topics,
    address: target,
    requestId,
    userMessage: options.userMessage,
    messageId: options.messageId ?? `msg_${requestId}`,
    streamQos: settings.streamQos,
    completeQos: settings.completeQos,
    mergeWindowMs: settings.mergeWindowMs,
    coalescer: options.coalescer,
    completeExpirySeconds: settings.completeExpirySeconds,
    replayBatchSize: 256,
  });
  // One abort input: the caller's controller (whose signal the model call uses) or our own.
  const abort = options.abortController ?? new AbortController();
  const onOuterAbort = () => abort.abort(options.signal?.reason);
  if (options.signal?.aborted) onOuterAbort();
  else options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const controls = routeTurnControls(client, topics, target, requestId, (control) => {
    if (control.op === 'abort') abort.abort(new ChatKitError('turn-failed', 'Stopped by the user.'));
    else turn.replay(control.fromSeq, control.clientId, control.toSeq);
  });
  // Not awaited before the first chunk: the first token must not wait for a SUBACK round trip.
  void controls.ready;
  options.onStart?.(turn);
  let result: PublishedTurn;
  try {
    void turn.start().catch(() => undefined);
    const outcome = await pumpTurn(turn, toChunkStream(() => source), abort.signal);
    result = await turn.finish(outcome.state, outcome.error);
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
  releaseAfter(controls, settings.replayGraceMs);
  return result;
}

/** Late replays (a client that lost the last envelope) are still answered for `graceMs`. */
export function releaseAfter(route: Route, graceMs: number): void {
  if (graceMs <= 0) {
    void route.release();
    return;
  }
  const timer = setTimeout(() => void route.release(), graceMs);
  (timer as { unref?: () => void }).unref?.();
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
