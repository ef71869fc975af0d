/**
 * The one envelope codec of the wire protocol (DESIGN.md, "Envelope"), used by the browser
 * transport, the worker, the mock broker's scripted worker and the tests.
 *
 * Wire keys are short because the stream envelope is paid for on every token: `v` version,
 * `r` request id, `s` sequence of the first chunk, `c` chunks, `e` end of turn. In `c`, a plain
 * text delta travels as `[id, delta]` instead of `{"type":"text-delta","id":..,"delta":..}`:
 * 31 bytes less per token message (~20% of it on the wire, measured by `npm run bench`).
 * Decoders never throw: anything that does not validate comes back as `null` with a reason,
 * so one bad message can be dropped and counted without touching the live stream.
 */
import type { UIMessage, UIMessageChunk } from 'ai';
import type { ChatPage, ChatSummary, MessagePage, TurnLookup } from './conversation.js';

/** The `v` of every envelope this version of the kit writes and reads. */
export const PROTOCOL_VERSION = 1;

/** Turn states a worker publishes on `status`. */
export const TURN_STATES = ['queued', 'thinking', 'generating', 'done', 'error', 'aborted'] as const;
/** One of {@link TURN_STATES}. */
export type TurnState = (typeof TURN_STATES)[number];
/** States after which a turn publishes nothing more but its `complete` record. */
export const FINAL_TURN_STATES: ReadonlySet<TurnState> = new Set(['done', 'error', 'aborted']);

/** Consecutive chunks of one turn, from `seq` on. `end` marks the last chunk of the turn. */
export interface StreamEnvelope {
  requestId: string;
  seq: number;
  chunks: UIMessageChunk[];
  end: boolean;
}

/** The retained state of a chat's latest turn. */
export interface StatusEnvelope {
  requestId: string;
  state: TurnState;
  /** Sequence of the last chunk published so far, -1 before the first. */
  lastSeq: number;
  /** The user message that started the turn, so other devices can show it. */
  userMessage?: UIMessage;
  /** Assistant message id the turn writes to. */
  messageId?: string;
  error?: string;
  /** Worker clock, ms since epoch. */
  at: number;
}

/** The retained record of a finished turn. */
export interface CompleteEnvelope {
  requestId: string;
  state: 'done' | 'error' | 'aborted';
  userMessage?: UIMessage;
  /** All chunks of the turn, text deltas merged; `chunks[i]` is not `seq i` after merging. */
  chunks: UIMessageChunk[];
  at: number;
}

/**
 * A turn as the client asks for it on `request`. Identity is never part of it: it is the topic's.
 * History is the server's: `messages` carries only what is new (the user message, or the assistant
 * message whose tool outputs or approvals continue the turn); the worker loads the rest from its store.
 */
export interface RequestEnvelope {
  requestId: string;
  trigger: 'submit-message' | 'regenerate-message';
  /** The answer to regenerate, or (with `submit-message`) the stored prompt this one edits. */
  messageId?: string;
  /**
   * The id of the message the new prompt follows on the sender's screen ('' at the start of a
   * chat). The worker refuses a prompt whose parent is no longer stored (an older version).
   */
  parentId?: string;
  messages: UIMessage[];
  body?: Record<string, unknown>;
  clientId?: string;
}

/** A `control` message: stop a turn (`abort`) or ask for its chunks again from `fromSeq` (`replay`). */
export type ControlEnvelope =
  | { op: 'abort'; requestId: string }
  /** `toSeq` (exclusive, optional): the end of the gap the client is missing; without it, everything from `fromSeq`. */
  | { op: 'replay'; requestId: string; fromSeq: number; clientId: string; toSeq?: number };

/** Why a payload was dropped: not JSON or wrong shape (`malformed`), another protocol version, or invalid fields. */
export type DecodeFailure = 'malformed' | 'version' | 'invalid';
/** A decoder's answer: the value, or why it was refused (never a throw). */
export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: DecodeFailure };

const textDecoder = /* @__PURE__ */ new TextDecoder();
const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;

function parse(payload: string | Uint8Array): Record<string, unknown> | null {
  try {
    const text = typeof payload === 'string' ? payload : textDecoder.decode(payload);
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function fail<T>(reason: DecodeFailure): Decoded<T> {
  return { ok: false, reason };
}

function head(payload: string | Uint8Array): Decoded<Record<string, unknown>> {
  const raw = parse(payload);
  if (!raw) return fail('malformed');
  if (raw.v !== PROTOCOL_VERSION) return fail('version');
  if (typeof raw.r !== 'string' || !REQUEST_ID.test(raw.r)) return fail('invalid');
  return { ok: true, value: raw };
}

/** True for a value shaped like a UI message chunk; deep validation is the AI SDK's job downstream. */
export function isChunkLike(value: unknown): value is UIMessageChunk {
  return value !== null && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string';
}

/** True when `value` can be a request id (what the transport generates and the worker accepts). */
export function isValidRequestId(value: unknown): value is string {
  return typeof value === 'string' && REQUEST_ID.test(value);
}

function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A text delta with nothing but `type`, `id` and `delta` goes on the wire as `[id, delta]`. */
function toWireChunk(chunk: UIMessageChunk): UIMessageChunk | [string, string] {
  return chunk.type === 'text-delta' && Object.keys(chunk).length === 3 ? [chunk.id, chunk.delta] : chunk;
}

function fromWireChunk(value: unknown): UIMessageChunk | null {
  if (Array.isArray(value)) {
    return value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string' ? { type: 'text-delta', id: value[0], delta: value[1] } : null;
  }
  return isChunkLike(value) ? value : null;
}

/** Serialises chunks of a live turn for the `stream` topic. */
export function encodeStream(envelope: StreamEnvelope): string {
  const c = envelope.chunks.map(toWireChunk);
  return JSON.stringify(
    envelope.end
      ? { v: PROTOCOL_VERSION, r: envelope.requestId, s: envelope.seq, c, e: 1 }
      : { v: PROTOCOL_VERSION, r: envelope.requestId, s: envelope.seq, c },
  );
}

/** Reads a `stream` payload; malformed or foreign payloads come back as a failure to count. */
export function decodeStream(payload: string | Uint8Array): Decoded<StreamEnvelope> {
  const h = head(payload);
  if (!h.ok) return h;
  const { r, s, c, e } = h.value;
  if (!isSeq(s) || !Array.isArray(c) || c.length === 0) return fail('invalid');
  const chunks: UIMessageChunk[] = [];
  for (const value of c) {
    const chunk = fromWireChunk(value);
    if (!chunk) return fail('invalid');
    chunks.push(chunk);
  }
  return { ok: true, value: { requestId: r as string, seq: s, chunks, end: e === 1 } };
}

/** Serialises a turn's state for the retained `status` topic. */
export function encodeStatus(status: StatusEnvelope): string {
  return JSON.stringify({
    v: PROTOCOL_VERSION,
    r: status.requestId,
    st: status.state,
    s: status.lastSeq,
    at: status.at,
    ...(status.messageId ? { m: status.messageId } : {}),
    ...(status.userMessage ? { u: status.userMessage } : {}),
    ...(status.error ? { err: status.error } : {}),
  });
}

/** Reads a `status` payload. */
export function decodeStatus(payload: string | Uint8Array): Decoded<StatusEnvelope> {
  const h = head(payload);
  if (!h.ok) return h;
  const { r, st, s, at, m, u, err } = h.value;
  if (!(TURN_STATES as readonly unknown[]).includes(st) || typeof s !== 'number' || !Number.isSafeInteger(s) || s < -1) return fail('invalid');
  if (typeof at !== 'number' || (m !== undefined && typeof m !== 'string') || (err !== undefined && typeof err !== 'string')) return fail('invalid');
  if (u !== undefined && !isMessageLike(u)) return fail('invalid');
  return {
    ok: true,
    value: {
      requestId: r as string,
      state: st as TurnState,
      lastSeq: s,
      at,
      ...(m !== undefined ? { messageId: m as string } : {}),
      ...(u !== undefined ? { userMessage: u as UIMessage } : {}),
      ...(err !== undefined ? { error: err as string } : {}),
    },
  };
}

function isMessageLike(value: unknown): value is UIMessage {
  const m = value as UIMessage | null;
  return m !== null && typeof m === 'object' && typeof m.id === 'string' && typeof m.role === 'string' && Array.isArray(m.parts);
}

/** Serialises a finished turn (user message and every chunk, text merged) for the retained `complete` topic. */
export function encodeComplete(complete: CompleteEnvelope): string {
  return JSON.stringify({
    v: PROTOCOL_VERSION,
    r: complete.requestId,
    st: complete.state,
    c: complete.chunks,
    at: complete.at,
    ...(complete.userMessage ? { u: complete.userMessage } : {}),
  });
}

/** Reads a `complete` payload. */
export function decodeComplete(payload: string | Uint8Array): Decoded<CompleteEnvelope> {
  const h = head(payload);
  if (!h.ok) return h;
  const { r, st, c, at, u } = h.value;
  if (st !== 'done' && st !== 'error' && st !== 'aborted') return fail('invalid');
  if (!Array.isArray(c) || !c.every(isChunkLike) || typeof at !== 'number') return fail('invalid');
  if (u !== undefined && !isMessageLike(u)) return fail('invalid');
  return { ok: true, value: { requestId: r as string, state: st, chunks: c, at, ...(u ? { userMessage: u as UIMessage } : {}) } };
}

/** Longest `parentId` a request may carry (message ids are short; this bounds a hostile one). */
const MAX_PARENT_ID_LENGTH = 200;

/** Serialises a turn request (MQTT trigger payload and HTTP trigger body share it). */
export function encodeRequest(request: RequestEnvelope): string {
  return JSON.stringify({
    v: PROTOCOL_VERSION,
    r: request.requestId,
    t: request.trigger,
    msgs: request.messages,
    ...(request.messageId ? { m: request.messageId } : {}),
    ...(request.parentId !== undefined ? { p: request.parentId } : {}),
    ...(request.body ? { b: request.body } : {}),
    ...(request.clientId ? { cid: request.clientId } : {}),
  });
}

/** Shape check only; the worker validates messages with the AI SDK's `validateUIMessages`. */
export function decodeRequest(payload: string | Uint8Array): Decoded<RequestEnvelope> {
  const h = head(payload);
  if (!h.ok) return h;
  const { r, t, msgs, m, p, b, cid } = h.value;
  if (t !== 'submit-message' && t !== 'regenerate-message') return fail('invalid');
  if (p !== undefined && (typeof p !== 'string' || p.length > MAX_PARENT_ID_LENGTH)) return fail('invalid');
  if (!Array.isArray(msgs) || !msgs.every(isMessageLike)) return fail('invalid');
  if (m !== undefined && typeof m !== 'string') return fail('invalid');
  if (b !== undefined && (b === null || typeof b !== 'object' || Array.isArray(b))) return fail('invalid');
  if (cid !== undefined && (typeof cid !== 'string' || !REQUEST_ID.test(cid))) return fail('invalid');
  return {
    ok: true,
    value: {
      requestId: r as string,
      trigger: t,
      messages: msgs as UIMessage[],
      ...(m !== undefined ? { messageId: m as string } : {}),
      ...(p !== undefined ? { parentId: p as string } : {}),
      ...(b !== undefined ? { body: b as Record<string, unknown> } : {}),
      ...(cid !== undefined ? { clientId: cid as string } : {}),
    },
  };
}

/** Serialises an `abort` or `replay` for the `control` topic. */
export function encodeControl(control: ControlEnvelope): string {
  return JSON.stringify(
    control.op === 'abort'
      ? { v: PROTOCOL_VERSION, op: 'abort', r: control.requestId }
      : { v: PROTOCOL_VERSION, op: 'replay', r: control.requestId, s: control.fromSeq, cid: control.clientId, ...(control.toSeq !== undefined ? { t: control.toSeq } : {}) },
  );
}

/** Reads a `control` payload. */
export function decodeControl(payload: string | Uint8Array): Decoded<ControlEnvelope> {
  const h = head(payload);
  if (!h.ok) return h;
  const { op, r, s, cid, t } = h.value;
  if (op === 'abort') return { ok: true, value: { op, requestId: r as string } };
  if (op === 'replay' && isSeq(s) && typeof cid === 'string' && REQUEST_ID.test(cid) && (t === undefined || (isSeq(t) && t > s))) {
    return { ok: true, value: { op, requestId: r as string, fromSeq: s, clientId: cid, ...(t !== undefined ? { toSeq: t as number } : {}) } };
  }
  return fail('invalid');
}

/**
 * Merges runs of `text-delta` (and `reasoning-delta`) chunks of the same part into one chunk.
 * Used for the retained `complete` and for the worker's merge window: fewer messages and bytes,
 * same rendered result.
 */
export function mergeDeltas(chunks: readonly UIMessageChunk[]): UIMessageChunk[] {
  const merged: UIMessageChunk[] = [];
  for (const chunk of chunks) {
    const last = merged[merged.length - 1];
    if (
      last &&
      (chunk.type === 'text-delta' || chunk.type === 'reasoning-delta') &&
      last.type === chunk.type &&
      last.id === chunk.id &&
      sameKeys(last, chunk)
    ) {
      merged[merged.length - 1] = { ...last, delta: last.delta + chunk.delta };
    } else {
      merged.push(chunk);
    }
  }
  return merged;
}

/** Deltas carrying provider metadata are kept apart: merging would drop one side's metadata. */
function sameKeys(a: object, b: object): boolean {
  return Object.keys(a).length === 3 && Object.keys(b).length === 3;
}

/** A question a client asks on its user's `~/query` topic; answered on its own `~/answer/{clientId}`. */
export type QueryEnvelope =
  | { queryId: string; clientId: string; op: 'history'; chatId: string; after?: number; before?: number; limit?: number }
  | { queryId: string; clientId: string; op: 'list'; before?: number; limit?: number }
  | { queryId: string; clientId: string; op: 'rename'; chatId: string; title: string }
  | { queryId: string; clientId: string; op: 'delete'; chatId: string }
  | { queryId: string; clientId: string; op: 'turn'; chatId: string; requestId: string };

/** The result each query op answers with. */
export interface QueryResults {
  history: MessagePage;
  list: ChatPage;
  rename: { chat: ChatSummary };
  delete: { deleted: boolean };
  turn: TurnLookup;
}

/** Why a query was refused; `code` is stable, `message` is for logs. */
export interface QueryError {
  code: 'not-found' | 'invalid' | 'rate-limited' | 'unavailable' | 'internal';
  message: string;
}

/** The answer to one query: a result, or an error. */
export type AnswerEnvelope = { queryId: string; result: unknown } | { queryId: string; error: QueryError };

/** A change to a user's chat list, fanned out on `~/chats` to every device of the user. */
export type ChatEventEnvelope = { eventId: string; op: 'upsert'; chat: ChatSummary } | { eventId: string; op: 'delete'; chatId: string };

const QUERY_OPS = ['history', 'list', 'rename', 'delete', 'turn'] as const;
const CHAT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_TITLE = 200;

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Serialises a user-level query (history page, chat list, rename, delete, turn lookup) for `~/query`. */
export function encodeQuery(query: QueryEnvelope): string {
  const { queryId, clientId, ...rest } = query;
  return JSON.stringify({ v: PROTOCOL_VERSION, r: queryId, cid: clientId, ...rest });
}

/** Shape check of a query; ids are topic-safe, numbers are non-negative integers, titles bounded. */
export function decodeQuery(payload: string | Uint8Array): Decoded<QueryEnvelope> {
  const h = head(payload);
  if (!h.ok) return h;
  const { r, cid, op, chatId, after, before, limit, title, requestId } = h.value;
  if (typeof cid !== 'string' || !REQUEST_ID.test(cid)) return fail('invalid');
  if (!(QUERY_OPS as readonly unknown[]).includes(op)) return fail('invalid');
  const base = { queryId: r as string, clientId: cid };
  const optional = (value: unknown) => value === undefined || isCount(value);
  if (op === 'list') {
    if (!optional(before) || !optional(limit)) return fail('invalid');
    return { ok: true, value: { ...base, op, ...(before !== undefined ? { before: before as number } : {}), ...(limit !== undefined ? { limit: limit as number } : {}) } };
  }
  if (typeof chatId !== 'string' || !CHAT_ID.test(chatId)) return fail('invalid');
  switch (op) {
    case 'history':
      if (!optional(after) || !optional(before) || !optional(limit)) return fail('invalid');
      return {
        ok: true,
        value: {
          ...base,
          op,
          chatId,
          ...(after !== undefined ? { after: after as number } : {}),
          ...(before !== undefined ? { before: before as number } : {}),
          ...(limit !== undefined ? { limit: limit as number } : {}),
        },
      };
    case 'rename':
      if (typeof title !== 'string' || title.trim() === '' || title.length > MAX_TITLE) return fail('invalid');
      return { ok: true, value: { ...base, op, chatId, title } };
    case 'delete':
      return { ok: true, value: { ...base, op, chatId } };
    default:
      if (!isValidRequestId(requestId)) return fail('invalid');
      return { ok: true, value: { ...base, op: 'turn', chatId, requestId } };
  }
}

/** Serialises the answer to one query for the asking client's `~/answer/{clientId}`. */
export function encodeAnswer(answer: AnswerEnvelope): string {
  return JSON.stringify(
    'error' in answer
      ? { v: PROTOCOL_VERSION, r: answer.queryId, err: answer.error }
      : { v: PROTOCOL_VERSION, r: answer.queryId, res: answer.result },
  );
}

/** Decodes the envelope only; the asker checks `result` against the op it asked (it knows which). */
export function decodeAnswer(payload: string | Uint8Array): Decoded<AnswerEnvelope> {
  const h = head(payload);
  if (!h.ok) return h;
  const { r, res, err } = h.value;
  if (err !== undefined) {
    const e = err as Partial<QueryError> | null;
    if (e === null || typeof e !== 'object' || typeof e.code !== 'string' || typeof e.message !== 'string') return fail('invalid');
    return { ok: true, value: { queryId: r as string, error: { code: e.code as QueryError['code'], message: e.message } } };
  }
  if (res === undefined) return fail('invalid');
  return { ok: true, value: { queryId: r as string, result: res } };
}

/** True when `value` has the shape of a chat-list entry. */
export function isChatSummary(value: unknown): value is ChatSummary {
  const c = value as ChatSummary | null;
  return (
    c !== null &&
    typeof c === 'object' &&
    typeof c.chatId === 'string' &&
    CHAT_ID.test(c.chatId) &&
    typeof c.title === 'string' &&
    typeof c.createdAt === 'number' &&
    typeof c.updatedAt === 'number'
  );
}

/** Serialises a chat-list change for `~/chats`. */
export function encodeChatEvent(event: ChatEventEnvelope): string {
  return JSON.stringify(
    event.op === 'upsert'
      ? { v: PROTOCOL_VERSION, r: event.eventId, op: 'upsert', chat: event.chat }
      : { v: PROTOCOL_VERSION, r: event.eventId, op: 'delete', chatId: event.chatId },
  );
}

/** Reads a `~/chats` payload. */
export function decodeChatEvent(payload: string | Uint8Array): Decoded<ChatEventEnvelope> {
  const h = head(payload);
  if (!h.ok) return h;
  const { r, op, chat, chatId } = h.value;
  if (op === 'upsert' && isChatSummary(chat)) return { ok: true, value: { eventId: r as string, op, chat } };
  if (op === 'delete' && typeof chatId === 'string' && CHAT_ID.test(chatId)) return { ok: true, value: { eventId: r as string, op, chatId } };
  return fail('invalid');
}
