/**
 * `createChatRequestHandler`: the HTTP trigger as a web-standard `(Request) => Promise<Response>`
 * (Next.js route handlers, Hono, Bun, or Node through an adapter). It answers 202 at once and
 * publishes the turn over MQTT; the response body never carries the answer.
 */
import { decodeRequest, encodeRequest } from '../transport/envelope.js';
import { isValidSegment, DEFAULT_TOPIC_PREFIX, TopicScheme } from '../transport/topics.js';
import type { MqttClientLike } from '../transport/mqtt-client.js';
import { DEFAULT_REQUEST_LIMITS, validateTurnRequest, type RequestLimits } from './request-validation.js';
import { RateLimiter, type RateLimitOptions } from './rate-limiter.js';
import { runTurn, type ChatTurnHandler } from './turn-runner.js';
import type { PublishedTurn } from './turn-publisher.js';

/** Options of {@link createChatRequestHandler}. */
export interface ChatRequestHandlerOptions {
  /** Connected service-account client, or a function returning one (lazy singleton). */
  client: MqttClientLike | (() => MqttClientLike | Promise<MqttClientLike>);
  handler: ChatTurnHandler;
  /** The app's session check: the user id whose topics the answer goes to, or null for 401. */
  authenticate: (request: Request) => string | null | Promise<string | null>;
  topicPrefix?: string;
  limits?: Partial<RequestLimits>;
  rateLimit?: RateLimitOptions | false;
  /** Called with each finished turn (logging, metrics). */
  onTurn?: (turn: PublishedTurn) => void;
  onError?: (error: unknown) => void;
}

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
export function createChatRequestHandler(options: ChatRequestHandlerOptions): (request: Request) => Promise<Response> {
  const topics = new TopicScheme(options.topicPrefix ?? DEFAULT_TOPIC_PREFIX);
  const limits = { ...DEFAULT_REQUEST_LIMITS, ...options.limits };
  const rateLimiter = options.rateLimit === false ? null : new RateLimiter(options.rateLimit ?? { turns: 30, perMs: 60_000 });
  const getClient = typeof options.client === 'function' ? options.client : () => options.client as MqttClientLike;

  return async (request) => {
    if (request.method !== 'POST') return json(405, { error: 'method not allowed' });
    const userId = await options.authenticate(request);
    if (!userId) return json(401, { error: 'not signed in' });
    if (!isValidSegment(userId)) return json(500, { error: 'session user id is not a valid topic segment' });
    const text = await request.text();
    if (text.length > limits.maxRequestBytes) return json(413, { error: 'request too large' });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return json(400, { error: 'body is not JSON' });
    }
    const { id: chatId, requestId, trigger, messageId, messages, clientId, ...extra } = body;
    if (!isValidSegment(chatId)) return json(400, { error: 'id (chat id) must match [A-Za-z0-9_-]{1,64}' });
    // Reuse the one request codec so both triggers validate exactly the same shape.
    const decoded = decodeRequest(encodeRequest({ requestId: requestId as string, trigger: trigger as 'submit-message', messageId: messageId as string | undefined, messages: messages as never, body: extra, clientId: clientId as string | undefined }));
    if (!decoded.ok) return json(400, { error: `invalid request (${decoded.reason})` });
    let validated;
    try {
      validated = await validateTurnRequest(decoded.value, text.length, limits);
    } catch (error) {
      return json(400, { error: error instanceof Error ? error.message : 'invalid request' });
    }
    if (rateLimiter && !rateLimiter.take(userId)) return json(429, { error: 'too many requests' });
    const client = await getClient();
    const address = { userId, chatId };
    void runTurn({ client, topics, address, request: decoded.value, messages: validated, handler: options.handler }).then(options.onTurn, options.onError);
    return json(202, { status: 'streaming', chatId, requestId: decoded.value.requestId });
  };
}
