/**
 * Consumes `CloudSignalChatTransport` the way `useChat` (ai@7 AbstractChat) does, without React:
 *
 * - reads the stream of `sendMessages()`;
 * - on a `TypeError` whose message mentions "network" (a disconnect) it waits for the connection
 *   and calls `reconnectToStream()`; since `resumeStreamIsReplay === true` the resumed stream
 *   starts over at the turn's `start` chunk, so the rendered message is reset on that chunk;
 * - any other error ends the turn with status `error`.
 *
 * It records what a user would see: the rendered chunks and text, and the status sequence.
 */
import type { UIMessage, UIMessageChunk } from 'ai';
import type { CloudSignalChatTransport } from '../../../src/transport/index.js';

export type ChatStatus = 'submitted' | 'streaming' | 'ready' | 'error' | 'disconnected' | 'resuming';

export interface TurnOptions {
  chatId: string;
  /** The user message text. */
  prompt: string;
  /** Extra body fields; the chaos worker reads the script of the answer from here. */
  body: Record<string, unknown>;
  /** Gives up resuming after this many ms without a successful reconnect (bounded loops). */
  resumeDeadlineMs: number;
  /** Called with the rendered text length after each chunk: fault injectors pick their moment. */
  onChunk?: (chunk: UIMessageChunk) => void;
  /** Stalls the reader (a slow consumer) before the chunk with this index, for `ms`. */
  readerStall?: { afterChunks: number; ms: number };
}

export interface TurnOutcome {
  /** Chunks rendered in the final message (after the last replay reset). */
  rendered: UIMessageChunk[];
  text: string;
  statuses: ChatStatus[];
  /** Network errors the stream surfaced (each one a resume). */
  disconnects: number;
  /** Resumed streams that delivered from the turn's start (`start` chunk reset). */
  replays: number;
  /** Resumes that came back with no stream (nothing to resume): the answer is lost to this user. */
  nullResumes: number;
  error: unknown;
  startedAt: number;
  endedAt: number;
}

const NETWORK = /network|fetch/i;

/** The chunk types of one scripted answer (scriptedChunkStream), deltas folded into `text-delta+`. */
const EXPECTED_SHAPE = 'start,start-step,text-start,text-delta+,text-end,finish-step,finish';

export function isNetworkError(error: unknown): boolean {
  return error instanceof TypeError && NETWORK.test(error.message);
}

export async function runChatTurn(transport: CloudSignalChatTransport, options: TurnOptions): Promise<TurnOutcome> {
  const outcome: TurnOutcome = { rendered: [], text: '', statuses: ['submitted'], disconnects: 0, replays: 0, nullResumes: 0, error: null, startedAt: Date.now(), endedAt: 0 };
  const messages: UIMessage[] = [{ id: `u_${options.chatId}_${outcome.startedAt}`, role: 'user', parts: [{ type: 'text', text: options.prompt }] }];
  let stream: ReadableStream<UIMessageChunk> | null;
  try {
    stream = await transport.sendMessages({ chatId: options.chatId, trigger: 'submit-message', messageId: undefined, abortSignal: undefined, messages, body: options.body });
  } catch (error) {
    return finish(outcome, error);
  }
  let resumed = false;
  let delivered = 0;
  const deadline = () => Date.now() + options.resumeDeadlineMs;
  for (;;) {
    let resetPending = resumed;
    try {
      const reader = stream.getReader();
      for (;;) {
        if (options.readerStall && delivered === options.readerStall.afterChunks) await sleep(options.readerStall.ms);
        const { value, done } = await reader.read();
        if (done) break;
        delivered++;
        if (resetPending && value.type === 'start') {
          // resetStateOnFirstMessageStart: the resumed stream replays the turn from its start.
          resetPending = false;
          outcome.rendered = [];
          outcome.replays++;
        }
        outcome.rendered.push(value);
        if (outcome.statuses.at(-1) !== 'streaming') outcome.statuses.push('streaming');
        options.onChunk?.(value);
      }
      outcome.statuses.push('ready');
      return finish(outcome, null);
    } catch (error) {
      if (!isNetworkError(error)) return finish(outcome, error);
      outcome.disconnects++;
      outcome.statuses.push('disconnected');
    }
    // Resume: useChat's resumeStream() after the connection is back.
    const until = deadline();
    let next: ReadableStream<UIMessageChunk> | null | undefined;
    while (next === undefined) {
      if (Date.now() > until) return finish(outcome, new Error(`could not resume within ${options.resumeDeadlineMs} ms`));
      try {
        outcome.statuses.push('resuming');
        next = await transport.reconnectToStream({ chatId: options.chatId });
      } catch (error) {
        if (!isNetworkError(error)) return finish(outcome, error);
        outcome.statuses.push('disconnected');
      }
    }
    if (next === null) {
      outcome.nullResumes++;
      return finish(outcome, new Error('reconnectToStream returned null: the turn could not be resumed'));
    }
    stream = next;
    resumed = true;
  }
}

function finish(outcome: TurnOutcome, error: unknown): TurnOutcome {
  outcome.error = error;
  if (error) outcome.statuses.push('error');
  outcome.text = outcome.rendered.map((chunk) => (chunk.type === 'text-delta' ? chunk.delta : '')).join('');
  outcome.endedAt = Date.now();
  return outcome;
}

/**
 * What must hold for every turn: the exact text, the chunk structure of one answer
 * (each structural chunk once, in order, around the deltas), and a status
 * sequence that ends `ready` after `submitted`, with only disconnect/resume detours between.
 * Returns the problems found (empty when the turn is exact).
 */
export function checkTurn(outcome: TurnOutcome, expectedText: string): string[] {
  const problems: string[] = [];
  if (outcome.error) problems.push(`error: ${describeError(outcome.error)}`);
  if (outcome.text !== expectedText) problems.push(`text mismatch: got ${outcome.text.length} chars, want ${expectedText.length} (${firstDifference(outcome.text, expectedText)})`);
  const types = outcome.rendered.map((chunk) => chunk.type);
  const shape = types.join(',').replace(/(,text-delta)+/, ',text-delta+');
  if (shape !== EXPECTED_SHAPE) problems.push(`chunk sequence: ${shape.slice(0, 200)}`);
  const statuses = outcome.statuses.join(' ');
  if (!/^submitted( streaming)?( disconnected( resuming( disconnected)?)+( streaming)?)* ready$/.test(statuses)) problems.push(`status sequence: ${statuses}`);
  return problems;
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `first difference at ${i}: got ${JSON.stringify(a.slice(i, i + 24))}, want ${JSON.stringify(b.slice(i, i + 24))}`;
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
