/**
 * Runs one validated turn for the worker and the HTTP trigger alike: status, the app's handler,
 * publishing, and a typed error status when anything refuses the turn.
 */
import type { UIMessage } from 'ai';
import type { RequestEnvelope } from '../transport/envelope.js';
import type { MqttClientLike } from '../transport/mqtt-client.js';
import type { ChatAddress, TopicScheme } from '../transport/topics.js';
import { publishStreamToMqtt, type ChunkSource, type PublishStreamOptions } from './publish-stream.js';
import type { PublishedTurn } from './turn-publisher.js';

/** What the app's handler receives. Identity (`userId`) comes from the topic or the session, never the payload. */
export interface ChatTurnContext {
  messages: UIMessage[];
  chatId: string;
  userId: string;
  requestId: string;
  trigger: RequestEnvelope['trigger'];
  messageId?: string;
  body: Record<string, unknown>;
  /** Aborted when the user presses Stop (a control `abort`) or the worker shuts down. */
  abortSignal: AbortSignal;
}

/** Returns a `streamText` result or a stream of UI message chunks. */
export type ChatTurnHandler = (context: ChatTurnContext) => ChunkSource | Promise<ChunkSource>;

export interface RunTurnOptions {
  client: MqttClientLike;
  topics: TopicScheme;
  address: ChatAddress;
  request: RequestEnvelope;
  messages: UIMessage[];
  handler: ChatTurnHandler;
  publish?: Omit<PublishStreamOptions, 'requestId' | 'topicPrefix' | 'abortController' | 'userMessage' | 'onStart'>;
  /** Aborts the turn from outside (worker shutdown). */
  signal?: AbortSignal;
}

export async function runTurn(options: RunTurnOptions): Promise<PublishedTurn> {
  const { client, topics, address, request, messages, handler } = options;
  const abortController = new AbortController();
  const userMessage = [...messages].reverse().find((message) => message.role === 'user');
  const onOuterAbort = () => abortController.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  try {
    // The handler is called lazily inside the source so that its errors become an error turn.
    const source = await lazySource(() =>
      handler({
        messages,
        chatId: address.chatId,
        userId: address.userId,
        requestId: request.requestId,
        trigger: request.trigger,
        messageId: request.messageId,
        body: request.body ?? {},
        abortSignal: abortController.signal,
      }),
    );
    return await publishStreamToMqtt(client, address, source, {
      ...options.publish,
      requestId: request.requestId,
      topicPrefix: topics.prefix,
      abortController,
      userMessage,
    });
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
}

/** Wraps the handler call so a throw surfaces as an error chunk in the turn, not as a lost turn. */
async function lazySource(factory: () => ChunkSource | Promise<ChunkSource>): Promise<ReadableStream> {
  let inner: ReadableStreamDefaultReader | null = null;
  return new ReadableStream({
    async pull(controller) {
      if (!inner) {
        const source = await factory();
        const stream = source instanceof ReadableStream ? source : (source.toUIMessageStream({ sendReasoning: true }) as ReadableStream);
        inner = stream.getReader();
      }
      const { value, done } = await inner.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel(reason) {
      await inner?.cancel(reason);
    },
  });
}
