/**
 * `createChatRequestHandler`: the HTTP trigger as a web-standard `(Request) => Promise<Response>`
 * (Next.js route handlers, Hono, Bun, or Node through an adapter). It answers 202 at once and runs
 * the turn through the same turn service as the worker: stored history, `queued` acknowledgement,
 * Stop from any device, the answer published over MQTT. The response body never carries the answer.
 */
import { decodeRequest, encodeRequest } from '../transport/envelope.js';
import { isValidSegment, DEFAULT_TOPIC_PREFIX, TopicScheme } from '../transport/topics.js';
import { randomId } from '../transport/ids.js';
import type { MqttClientLike } from '../transport/mqtt-client.js';
import { assertRequestSize, DEFAULT_REQUEST_LIMITS, validateTurnRequest, type RequestLimits } from './request-validation.js';
import { RateLimiter, type RateLimitOptions } from './rate-limiter.js';
import type { ChatTurnHandler } from './turn-runner.js';
import type { PublishedTurn } from './turn-publisher.js';
import { TurnService } from './turn-service.js';
import { DEFAULT_MERGE_WINDOW_MS } from './publish-stream.js';
import type { ChatStore } from './store/chat-store.js';
import { createMemoryChatStore } from './store/memory-chat-store.js';
import { RequestDedupe } from './request-dedupe.js';
import { DEFAULT_PRESENCE_INTERVAL_MS, DEFAULT_WORKER_GROUP, WorkerMembership } from './worker-membership.js';

/** Options of {@link createChatRequestHandler}. */
export interface ChatRequestHandlerOptions {
  /** Connected service-account client, or a function returning one (lazy singleton). */
  client: MqttClientLike | (() => MqttClientLike | Promise<MqttClientLike>);
  handler: ChatTurnHandler;
  /** The app's session check: the user id whose topics the answer goes to, or null for 401. */
  authenticate: (request: Request) => string | null | Promise<string | null>;
  /** Where conversations live; share it with the worker's query responder. Default: in memory. */
  store?: ChatStore;
  topicPrefix?: string;
  limits?: Partial<RequestLimits>;
  rateLimit?: RateLimitOptions | false;
  /** Id written on the turns this handler runs (sweeps tell dead runners by it). Default: a fresh one. */
  workerId?: string;
  /**
   * The workers' group (`createChatWorker({ group })`). The handler shows itself there as a runner,
   * so workers do not take its running turns for a dead worker's; it never takes chats. Default
   * `chat-workers`.
   */
  group?: string;
  /** Ms between the handler's presence heartbeats; match the workers'. Default 5 000. */
  presenceIntervalMs?: number;
  /** Called with each finished turn (logging, metrics). */
  onTurn?: (turn: PublishedTurn) => void;
  onError?: (error: unknown) => void;
}

/**
 * The HTTP trigger's request handler. `close()` withdraws its presence (workers may then mark
 * turns it still runs as failed); call it when the server shuts down.
 */
export type ChatRequestHandler = ((request: Request) => Promise<Response>) & { close(): Promise<void> };

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/**
 * The HTTP trigger: a web `Request -> Response` handler that checks the session, validates and
 * rate-limits the turn, answers 202 at once and streams the answer over MQTT. Works as a Next.js
 * route handler, in Hono or Bun, and in `node:http` through {@link toNodeHandler}.
 *
 * @example
 * ```ts
 * // app/api/chat/route.ts
 * import { createChatRequestHandler } from '@cloudsignal/ai-chat-kit/server';
 *
 * export const POST = createChatRequestHandler({
 *   client: getServiceClient,                 // a connected service-account MQTT client
 *   authenticate: (request) => sessionUserId(request),
 *   handler: async ({ messages, abortSignal }) =>
 *     streamText({ model, messages: await convertToModelMessages(messages), abortSignal }),
 *   limits: { maxRequestBytes: 4 * 1024 * 1024 }, // raise it to accept large attachments
 * });
 * ```
 */
export function createChatRequestHandler(options: ChatRequestHandlerOptions): ChatRequestHandler {
  const topics = new TopicScheme(options.topicPrefix ?? DEFAULT_TOPIC_PREFIX);
  const limits = { ...DEFAULT_REQUEST_LIMITS, ...options.limits };
  const rateLimiter = options.rateLimit === false ? null : new RateLimiter(options.rateLimit ?? { turns: 30, perMs: 60_000 });
  const getClient = typeof options.client === 'function' ? options.client : () => options.client as MqttClientLike;
  const store = options.store ?? createMemoryChatStore();
  const workerId = options.workerId ?? `http_${randomId(12)}`;
  const dedupe = new RequestDedupe();
  let service: TurnService | null = null;
  let membership: WorkerMembership | null = null;
  let announced: Promise<void> | null = null;
  // This handler runs turns that workers see in the store as running: its presence is what tells
  // them it is alive. Without it a worker's sweep (or any turn lookup) took the turn for a dead
  // worker's and published it failed mid-answer (the HTTP-trigger e2e defect).
  const announce = (client: MqttClientLike): Promise<void> => {
    if (announced) return announced;
    membership = new WorkerMembership(client, topics, options.group ?? DEFAULT_WORKER_GROUP, workerId, options.presenceIntervalMs ?? DEFAULT_PRESENCE_INTERVAL_MS, undefined, 'runner');
    announced = membership.announce();
    void membership.start().catch((error: unknown) => options.onError?.(error));
    return announced;
  };
  const serviceFor = (client: MqttClientLike) =>
    (service ??= new TurnService({
      client,
      topics,
      store,
      handler: options.handler,
      workerId,
      publish: { streamQos: 0, completeQos: 1, mergeWindowMs: DEFAULT_MERGE_WINDOW_MS, completeExpirySeconds: 86_400, replayGraceMs: 30_000 },
      onTurn: options.onTurn,
      onError: options.onError,
    }));

  const handle = async (request: Request): Promise<Response> => {
    if (request.method !== 'POST') return json(405, { error: 'method not allowed' });
    const userId = await options.authenticate(request);
    if (!userId) return json(401, { error: 'not signed in' });
    if (!isValidSegment(userId)) return json(500, { error: 'session user id is not a valid topic segment' });
    const text = await request.text();
    try {
      assertRequestSize(new TextEncoder().encode(text).byteLength, limits);
    } catch {
      return json(413, { error: 'request too large' });
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return json(400, { error: 'body is not JSON' });
    }
    const { id: chatId, requestId, trigger, messageId, parentId, messages, clientId, ...extra } = body;
    if (!isValidSegment(chatId)) return json(400, { error: 'id (chat id) must match [A-Za-z0-9_-]{1,64}' });
    // Reuse the one request codec so both triggers validate exactly the same shape.
    let encoded: string;
    try {
      encoded = encodeRequest({ requestId: requestId as string, trigger: trigger as 'submit-message', messageId: messageId as string | undefined, parentId: parentId as string | undefined, messages: messages as never, body: extra, clientId: clientId as string | undefined });
    } catch {
      return json(400, { error: 'invalid request (unencodable)' });
    }
    const decoded = decodeRequest(encoded);
    if (!decoded.ok) return json(400, { error: `invalid request (${decoded.reason})` });
    let incoming;
    try {
      incoming = await validateTurnRequest(decoded.value, limits);
    } catch (error) {
      return json(400, { error: error instanceof Error ? error.message : 'invalid request' });
    }
    const address = { userId, chatId };
    // A re-sent request (the client got no answer to the first POST) is acknowledged, not run twice.
    if (!dedupe.add(userId, decoded.value.requestId)) {
      return json(202, { status: 'streaming', chatId, requestId: decoded.value.requestId });
    }
    if (rateLimiter && !rateLimiter.take(userId)) {
      dedupe.forget(userId, decoded.value.requestId);
      return json(429, { error: 'too many requests' });
    }
    const client = await getClient();
    await announce(client);
    const turns = serviceFor(client);
    if (!turns.accept(address, decoded.value, incoming)) {
      dedupe.forget(userId, decoded.value.requestId);
      return json(429, { error: 'too many turns waiting in this chat' });
    }
    return json(202, { status: 'streaming', chatId, requestId: decoded.value.requestId });
  };
  return Object.assign(handle, {
    close: async () => {
      await membership?.stop();
    },
  });
}
