/**
 * Server-authoritative history for one turn: what the handler sees and what is written when. A
 * request carries only what is new (docs/protocol-conversations.md); the stored conversation is the
 * rest. A client can add a user message, move the tool parts of the last assistant message forward
 * (a client tool's output, an approval), or ask for the last answer again; it can never rewrite a
 * message it was not shown. An edit (the AI SDK's `sendMessage({ text, messageId })`) replaces a
 * stored prompt and removes everything after it; a regeneration removes the last answer and writes
 * the new one under a new id. So the store always holds exactly the branch the user sees, and a
 * prompt that follows a message no longer stored (written while looking at an older version) is
 * refused instead of being answered in a context the user cannot see.
 */
import { readUIMessageStream, type UIMessage, type UIMessageChunk } from 'ai';
import type { StoredTurn, StoredTurnState } from '../transport/conversation.js';
import type { RequestEnvelope } from '../transport/envelope.js';
import type { ChatAddress } from '../transport/topics.js';
import type { ChatStore, MessageWrite } from './store/chat-store.js';
import { InvalidRequestError } from './request-validation.js';

/** A turn ready to run: the conversation for the handler and what to write at its start and end. */
export interface PreparedTurn {
  /** The whole conversation the handler is called with, the new message included. */
  messages: UIMessage[];
  /** The user message the turn answers (shown by other devices while it runs). */
  userMessage?: UIMessage;
  /** The assistant message id the answer is written to: a new one, or the continued/regenerated one's. */
  messageId: string;
  /** The assistant message a continuation writes into (the answer's chunks are applied to it). */
  continues?: UIMessage;
  /** The message written with the turn's `running` state when it starts, and its final state at the end. */
  marker: UIMessage;
  /** Stored messages from this position on are removed when the turn starts (an edit, a regeneration). */
  replaceFrom?: number;
}

/** Loads the conversation and applies the request's new message; throws {@link InvalidRequestError} when it may not be applied. */
export async function prepareTurn(store: ChatStore, address: ChatAddress, request: RequestEnvelope, incoming: UIMessage | undefined): Promise<PreparedTurn> {
  const page = await store.loadMessages(address);
  const entries = page.messages;
  const stored = entries.map((entry) => entry.message);
  const last = stored.at(-1);
  const newAnswerId = `msg_${request.requestId}`;
  if (request.trigger === 'regenerate-message') {
    const target = request.messageId ?? (last?.role === 'assistant' ? last.id : undefined);
    if (last && last.role === 'assistant' && last.id === target) {
      const messages = stored.slice(0, -1);
      const userMessage = lastUser(messages);
      if (!userMessage) throw new InvalidRequestError('There is no prompt to answer again.');
      // A new id: a device still showing the old answer (as a version) can never continue from it.
      return { messages, userMessage, messageId: newAnswerId, marker: userMessage, replaceFrom: entries.at(-1)!.position };
    }
    if (last && last.role === 'user' && (target === undefined || target === last.id)) {
      return { messages: stored, userMessage: last, messageId: newAnswerId, marker: last };
    }
    throw new InvalidRequestError('Only the latest answer of a chat can be regenerated.');
  }
  if (!incoming) throw new InvalidRequestError('Request has no messages.');
  if (incoming.role === 'user') {
    const at = stored.findIndex((message) => message.id === incoming.id);
    if (at >= 0) {
      // Only an explicit edit may replace a stored prompt, and only a prompt. The old prompt goes
      // with what followed it (kept as an earlier version); the edited one takes its place.
      if (request.messageId !== incoming.id || stored[at].role !== 'user') throw new InvalidRequestError(`Message ${incoming.id} is already part of the chat.`);
      return { messages: [...stored.slice(0, at), incoming], userMessage: incoming, messageId: newAnswerId, marker: incoming, replaceFrom: entries[at].position };
    }
    if (request.messageId !== undefined) throw new InvalidRequestError('The message to edit is not part of the chat.');
    // Only a chat that had messages removed can have a prompt written under a version it lost. A
    // missing parent that no earlier version holds is a prompt that was refused and never stored,
    // which must not block the next one (a store that keeps no versions cannot tell: it refuses).
    const parentMissing = request.parentId !== undefined && request.parentId !== '' && (page.truncatedAt ?? 0) > 0 && !stored.some((message) => message.id === request.parentId);
    const inEarlierVersion = (id: string) => page.versions === undefined || page.versions.some((version) => version.messages.some((message) => message.id === id));
    if (parentMissing && inEarlierVersion(request.parentId!)) {
      throw new InvalidRequestError('This prompt follows a version of the conversation that is no longer stored; go back to the latest version to continue.');
    }
    return { messages: [...stored, incoming], userMessage: incoming, messageId: newAnswerId, marker: incoming };
  }
  if (incoming.role === 'assistant') {
    if (!last || last.role !== 'assistant' || last.id !== incoming.id) throw new InvalidRequestError('Only the latest assistant message can be continued.');
    assertContinuation(last, incoming);
    return { messages: [...stored.slice(0, -1), incoming], userMessage: lastUser(stored), messageId: incoming.id, continues: incoming, marker: incoming };
  }
  throw new InvalidRequestError(`A request may not add a ${incoming.role} message.`);
}

/** The writes of a turn's start: the new (or continued) message, marked `running` by this worker. */
export function startWrites(prepared: PreparedTurn, requestId: string, workerId: string): MessageWrite[] {
  // (The removal an edit or a regeneration needs goes with these writes: see `prepared.replaceFrom`.)
  return [{ message: prepared.marker, turn: { requestId, state: 'running', workerId } }];
}

/** The writes of a turn's end: its final state on the marker, and the answer (the partial one when stopped). */
export function endWrites(prepared: PreparedTurn, answer: UIMessage, turn: StoredTurn): MessageWrite[] {
  if (prepared.marker.id === answer.id) return [{ message: answer, turn }];
  return [
    { message: prepared.marker, turn },
    { message: answer, turn },
  ];
}

/** The assistant message a chunk log produces, written into the continued message when there is one. */
export async function answerOf(prepared: PreparedTurn, log: readonly UIMessageChunk[]): Promise<UIMessage> {
  const base: UIMessage = prepared.continues ?? { id: prepared.messageId, role: 'assistant', parts: [] };
  let message = base;
  const stream = new ReadableStream<UIMessageChunk>({
    start(controller) {
      for (const chunk of log) controller.enqueue(chunk);
      controller.close();
    },
  });
  try {
    // Errors in the log are the turn's own (stored with the turn state); they must not stop the read.
    for await (const next of readUIMessageStream({ message: base, stream, onError: () => undefined })) message = next;
  } catch {
    // A log the SDK cannot apply still leaves what was built so far.
  }
  return { ...message, id: prepared.messageId };
}

/** A final turn record. */
export function finalTurn(requestId: string, workerId: string, state: Exclude<StoredTurnState, 'running'>, error?: string): StoredTurn {
  return { requestId, state, workerId, ...(error !== undefined ? { error } : {}) };
}

function lastUser(messages: readonly UIMessage[]): UIMessage | undefined {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === 'user') return messages[i];
  return undefined;
}

/** Tool part states in the order a tool call moves through them. */
const TOOL_STATE_RANK: Record<string, number> = {
  'input-streaming': 0,
  'input-available': 1,
  'approval-requested': 2,
  'approval-responded': 3,
  'output-available': 4,
  'output-error': 4,
  'output-denied': 4,
};

/** Fields of a tool part that a continuation may change; everything else must be as stored. */
const TOOL_PROGRESS_FIELDS = new Set(['state', 'output', 'errorText', 'approval', 'preliminary']);

function isToolPart(part: { type: string }): boolean {
  return part.type.startsWith('tool-') || part.type === 'dynamic-tool';
}

/**
 * Whether two JSON values are the same. Key order is not compared: a SQL store's `jsonb` hands
 * objects back with their keys sorted, and the continuation a client sends keeps its own order.
 */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left).filter((key) => left[key] !== undefined);
  if (keys.length !== Object.keys(right).filter((key) => right[key] !== undefined).length) return false;
  return keys.every((key) => sameJson(left[key], right[key]));
}

/** Throws unless `incoming` only moves `stored`'s tool parts forward (outputs, approvals). */
function assertContinuation(stored: UIMessage, incoming: UIMessage): void {
  const refuse = (why: string) => {
    throw new InvalidRequestError(`A continuation may only add tool outputs and approvals (${why}).`);
  };
  if (incoming.parts.length !== stored.parts.length) refuse('parts were added or removed');
  if (!sameJson(incoming.metadata ?? null, stored.metadata ?? null)) refuse('metadata changed');
  stored.parts.forEach((before, index) => {
    const after = incoming.parts[index] as Record<string, unknown> & { type: string };
    const was = before as Record<string, unknown> & { type: string };
    if (after.type !== was.type) refuse(`part ${index} changed type`);
    if (!isToolPart(was)) {
      if (!sameJson(after, was)) refuse(`part ${index} changed`);
      return;
    }
    const keys = new Set([...Object.keys(was), ...Object.keys(after)]);
    for (const key of keys) {
      if (TOOL_PROGRESS_FIELDS.has(key)) continue;
      if (!sameJson(after[key], was[key])) refuse(`tool part ${index} changed ${key}`);
    }
    const from = TOOL_STATE_RANK[String(was.state)];
    const to = TOOL_STATE_RANK[String(after.state)];
    if (from === undefined || to === undefined || to < from) refuse(`tool part ${index} moved from ${String(was.state)} to ${String(after.state)}`);
    if (from === 4 && !sameJson(after, was)) refuse(`tool part ${index} was already finished`);
  });
}
