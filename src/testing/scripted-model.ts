/**
 * Scripted stand-ins for a language model: a UI message chunk stream of a fixed text, and an AI SDK
 * `LanguageModelV4` that streams fixed texts at a set rate. Both honour aborts, so tests can show
 * that a stop reaches the model. Browser-safe.
 */
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4FinishReason,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamPart,
  LanguageModelV4StreamResult,
  LanguageModelV4Usage,
} from '@ai-sdk/provider';
import type { UIMessageChunk } from 'ai';

/**
 * Splits text into word-ish tokens: each token is a run of whitespace followed by a run of
 * non-whitespace, and trailing whitespace is a token of its own. Joining the tokens gives `text`
 * back exactly. `tokenize('Hello, world!')` is `['Hello,', ' world!']`.
 */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S+|\s+/g) ?? [];
}

/** Groups tokens `size` at a time (the last group may be shorter). */
function groupTokens(tokens: string[], size: number): string[] {
  const step = Math.max(1, Math.floor(size));
  const groups: string[] = [];
  for (let i = 0; i < tokens.length; i += step) groups.push(tokens.slice(i, i + step).join(''));
  return groups;
}

/**
 * Emits a fixed list of items, waiting before each the delay `delayBefore(index)` gives, as a
 * pull-driven stream. Stops (and closes the stream) when `signal` aborts or the reader cancels,
 * reporting that once through `onStop`.
 */
function timedStream<T>(options: {
  items: T[];
  delayBefore: (index: number, item: T) => number;
  signal?: AbortSignal;
  onStop?: (reason: unknown) => void;
  /** How an abort ends the stream: closed (the default) or errored with the abort reason. */
  abortAs?: 'close' | 'error';
}): ReadableStream<T> {
  const { items, delayBefore, signal, onStop, abortAs = 'close' } = options;
  let index = 0;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let wake: (() => void) | undefined;
  let controllerRef: ReadableStreamDefaultController<T> | undefined;

  const stop = (reason: unknown, endStream: boolean) => {
    if (stopped) return;
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    wake?.();
    onStop?.(reason);
    if (endStream && controllerRef) {
      if (abortAs === 'error') controllerRef.error(reason);
      else controllerRef.close();
    }
  };
  const onAbort = () => stop(signal?.reason, true);
  const finish = () => {
    stopped = true;
    signal?.removeEventListener('abort', onAbort);
  };

  return new ReadableStream<T>(
    {
      start(controller) {
        controllerRef = controller;
        if (signal?.aborted) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
      },
      async pull(controller) {
        if (stopped) return;
        const item = items[index];
        const delay = delayBefore(index, item);
        if (delay > 0) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(resolve, delay);
          });
          timer = undefined;
          wake = undefined;
          if (stopped) return;
        }
        controller.enqueue(item);
        index++;
        if (index === items.length) {
          finish();
          controller.close();
        }
      },
      cancel(reason) {
        stop(reason, false);
      },
    },
    { highWaterMark: 0 },
  );
}

// ---------------------------------------------------------------------------------------------
// UI message chunk stream

/** Options of {@link scriptedChunkStream}. */
export interface ScriptedChunkStreamOptions {
  /** The answer. The text deltas join to exactly this. */
  text: string;
  /** Wait before each text delta, in ms. Default 0. */
  tokenDelayMs?: number;
  /** Tokens (see {@link tokenize}) per text delta. Default 1. */
  chunkSize?: number;
  /** Aborting stops the stream: no more chunks, `onAbort` is called, the stream closes. */
  signal?: AbortSignal;
  /** Put on the `start` chunk when given. */
  messageId?: string;
  /** Called once when the stream stops early, by `signal` or by the reader's `cancel()`. */
  onAbort?: (reason: unknown) => void;
}

/** The id of the one text part of a scripted answer. */
export const SCRIPTED_TEXT_ID = 'text-0';

/**
 * A UI message stream (AI SDK v7 chunks) answering with `text`: `start`, `start-step`,
 * `text-start`, the `text-delta`s, `text-end`, `finish-step`, `finish`.
 */
export function scriptedChunkStream(options: ScriptedChunkStreamOptions): ReadableStream<UIMessageChunk> {
  const { text, tokenDelayMs = 0, chunkSize = 1, signal, messageId, onAbort } = options;
  const id = SCRIPTED_TEXT_ID;
  const chunks: UIMessageChunk[] = [
    messageId === undefined ? { type: 'start' } : { type: 'start', messageId },
    { type: 'start-step' },
    { type: 'text-start', id },
    ...groupTokens(tokenize(text), chunkSize).map((delta): UIMessageChunk => ({ type: 'text-delta', id, delta })),
    { type: 'text-end', id },
    { type: 'finish-step' },
    { type: 'finish', finishReason: 'stop' },
  ];
  return timedStream({
    items: chunks,
    delayBefore: (_index, chunk) => (chunk.type === 'text-delta' ? tokenDelayMs : 0),
    signal,
    onStop: onAbort,
  });
}

// ---------------------------------------------------------------------------------------------
// Language model

/** Options of {@link createScriptedModel}: give `text`, or `texts` for one answer per call. */
export type ScriptedModelOptions = (
  | { text: string; texts?: undefined }
  | {
      /** One answer per call, in order; calls after the last repeat the last. */
      texts: string[];
      text?: undefined;
    }
) & {
  /** Wait between text deltas, in ms. Default 0. */
  tokenDelayMs?: number;
  /** Wait before the first text delta, in ms. Default `tokenDelayMs`. */
  firstTokenDelayMs?: number;
  /** Default `scripted`. */
  modelId?: string;
};

/** A `LanguageModelV4` that answers with scripted texts and records how it was called. */
export interface ScriptedModel extends LanguageModelV4 {
  /** The options of every `doStream` / `doGenerate` call, in order. */
  readonly calls: LanguageModelV4CallOptions[];
  /** How many calls were stopped by their `abortSignal` before the answer was complete. */
  readonly aborted: number;
}

const FINISH_STOP: LanguageModelV4FinishReason = { unified: 'stop', raw: 'stop' };

function usageOf(outputTokens: number): LanguageModelV4Usage {
  return {
    inputTokens: { total: 0, noCache: 0, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: outputTokens, text: outputTokens, reasoning: 0 },
  };
}

/**
 * Creates a language model for `streamText` / `generateText` that answers each call with the next
 * scripted text, streamed as one text delta per {@link tokenize} token. An aborted call stops
 * streaming at once, errors its stream with the abort reason (as a cancelled HTTP response would)
 * and is counted in `model.aborted`.
 */
export function createScriptedModel(options: ScriptedModelOptions): ScriptedModel {
  const texts = options.texts ?? [options.text];
  if (texts.length === 0) throw new Error('createScriptedModel needs at least one text');
  const tokenDelayMs = options.tokenDelayMs ?? 0;
  const firstTokenDelayMs = options.firstTokenDelayMs ?? tokenDelayMs;
  const calls: LanguageModelV4CallOptions[] = [];
  let aborted = 0;

  const nextText = () => {
    const text = texts[Math.min(calls.length, texts.length) - 1];
    return text;
  };

  const doStream = async (callOptions: LanguageModelV4CallOptions): Promise<LanguageModelV4StreamResult> => {
    calls.push(callOptions);
    const text = nextText();
    const tokens = tokenize(text);
    const id = SCRIPTED_TEXT_ID;
    const parts: LanguageModelV4StreamPart[] = [
      { type: 'stream-start', warnings: [] },
      { type: 'response-metadata', id: `scripted-${calls.length}`, modelId: model.modelId, timestamp: new Date() },
      { type: 'text-start', id },
      ...tokens.map((delta): LanguageModelV4StreamPart => ({ type: 'text-delta', id, delta })),
      { type: 'text-end', id },
      { type: 'finish', finishReason: FINISH_STOP, usage: usageOf(tokens.length) },
    ];
    const firstDelta = parts.findIndex((part) => part.type === 'text-delta');
    const stream = timedStream({
      items: parts,
      delayBefore: (index, part) => (part.type !== 'text-delta' ? 0 : index === firstDelta ? firstTokenDelayMs : tokenDelayMs),
      signal: callOptions.abortSignal,
      onStop: () => aborted++,
      abortAs: 'error',
    });
    return { stream };
  };

  const doGenerate = async (callOptions: LanguageModelV4CallOptions): Promise<LanguageModelV4GenerateResult> => {
    calls.push(callOptions);
    const text = nextText();
    const signal = callOptions.abortSignal;
    const delay = firstTokenDelayMs + tokenDelayMs * Math.max(0, tokenize(text).length - 1);
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        aborted++;
        reject(signal!.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, delay);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
    const content: LanguageModelV4Content[] = [{ type: 'text', text }];
    return { content, finishReason: FINISH_STOP, usage: usageOf(tokenize(text).length), warnings: [] };
  };

  const model: ScriptedModel = {
    specificationVersion: 'v4',
    provider: 'scripted',
    modelId: options.modelId ?? 'scripted',
    supportedUrls: {},
    doStream,
    doGenerate,
    calls,
    get aborted() {
      return aborted;
    },
  };
  return model;
}
