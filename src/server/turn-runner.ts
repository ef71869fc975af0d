/**
 * The one server pipeline for a turn's stream: a normalised chunk source (see `chunk-source.ts`)
 * read into a {@link TurnPublisher} until it ends or the turn's one abort signal fires. The worker,
 * the HTTP trigger and `publishStreamToMqtt` all run a turn through {@link pumpTurn}.
 */
import type { UIMessage, UIMessageChunk } from 'ai';
import type { RequestEnvelope } from '../transport/envelope.js';
import type { ChunkSource } from './chunk-source.js';
import type { TurnPublisher } from './turn-publisher.js';

/** What the app's handler receives. Identity (`userId`) comes from the topic or the session, never the payload. */
export interface ChatTurnContext {
  /** The whole conversation from the chat store, the request's new message included. */
  messages: UIMessage[];
  chatId: string;
  userId: string;
  requestId: string;
  trigger: RequestEnvelope['trigger'];
  messageId?: string;
  body: Record<string, unknown>;
  /** Aborted when any device of the user presses Stop (a control `abort`) or the worker shuts down. */
  abortSignal: AbortSignal;
}

/** Returns a `streamText` result or a stream of UI message chunks. */
export type ChatTurnHandler = (context: ChatTurnContext) => ChunkSource | Promise<ChunkSource>;

/** How a pumped source ended; {@link TurnPublisher.finish} turns it into the final status. */
export interface PumpOutcome {
  state: 'done' | 'error' | 'aborted';
  error?: string;
}

/**
 * Reads `stream` into `turn` (which numbers, merges and publishes the chunks and moves the status)
 * until the stream ends, fails, or `signal` aborts it. Never throws: every way out is an outcome.
 */
export async function pumpTurn(turn: TurnPublisher, stream: ReadableStream<UIMessageChunk>, signal: AbortSignal): Promise<PumpOutcome> {
  let reader: ReadableStreamDefaultReader<UIMessageChunk>;
  try {
    reader = stream.getReader();
  } catch (error) {
    return { state: 'error', error: messageOf(error) };
  }
  const onAbort = () => void reader.cancel(signal.reason).catch(() => undefined);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done || signal.aborted) break;
      if (value && typeof value === 'object' && typeof value.type === 'string') turn.push(value);
    }
    return signal.aborted ? { state: 'aborted' } : { state: 'done' };
  } catch (error) {
    return signal.aborted ? { state: 'aborted' } : { state: 'error', error: messageOf(error) };
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
