/**
 * The one source normaliser of the server: whatever a handler returns (a `streamText` result, a
 * UI message chunk stream, an async iterable of chunks, or a promise of any of them) becomes one
 * `ReadableStream<UIMessageChunk>`. `publishStreamToMqtt`, the worker and the HTTP trigger all read
 * a turn through it, so they cannot differ in what they accept.
 */
import type { UIMessageChunk } from 'ai';
import { ChatKitError } from '../transport/errors.js';

/** Something that can become a UI message chunk stream: a `streamText` result or the stream itself. */
export type ChunkSource =
  | ReadableStream<UIMessageChunk>
  | AsyncIterable<UIMessageChunk>
  | { toUIMessageStream(options?: object): ReadableStream<UIMessageChunk> | AsyncIterable<UIMessageChunk> };

/**
 * A chunk stream over `source`. Given a function, it is called on the first read, so a handler that
 * throws (or returns something unusable) errors the stream: the turn ends as an `error` turn, never
 * as a lost one.
 */
export function toChunkStream(source: ChunkSource | (() => ChunkSource | Promise<ChunkSource>)): ReadableStream<UIMessageChunk> {
  if (typeof source !== 'function') return streamOf(source);
  let inner: ReadableStreamDefaultReader<UIMessageChunk> | null = null;
  return new ReadableStream<UIMessageChunk>(
    {
      async pull(controller) {
        inner ??= streamOf(await source()).getReader();
        const { value, done } = await inner.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel(reason) {
        await inner?.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

function streamOf(source: ChunkSource): ReadableStream<UIMessageChunk> {
  if (source instanceof ReadableStream) return source;
  if (source && typeof (source as { toUIMessageStream?: unknown }).toUIMessageStream === 'function') {
    const stream = (source as { toUIMessageStream(options?: object): ReadableStream<UIMessageChunk> | AsyncIterable<UIMessageChunk> }).toUIMessageStream({ sendReasoning: true });
    return stream instanceof ReadableStream ? stream : iterableToStream(stream);
  }
  if (source && typeof (source as AsyncIterable<UIMessageChunk>)[Symbol.asyncIterator] === 'function') return iterableToStream(source as AsyncIterable<UIMessageChunk>);
  throw new ChatKitError('invalid-options', 'A chat turn handler must return a streamText result, a ReadableStream or an async iterable of UI message chunks.');
}

function iterableToStream<T>(iterable: AsyncIterable<T>): ReadableStream<T> {
  const iterator = iterable[Symbol.asyncIterator]();
  return new ReadableStream<T>(
    {
      async pull(controller) {
        const { value, done } = await iterator.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel() {
        await iterator.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}
