/**
 * The seed guide's plain-token protocol, as servers written from it speak it (a few lines of paho):
 *
 * - `{prefix}/{session}/request`: the client publishes `{ "prompt": "...", ...extra }` as JSON;
 * - `{prefix}/{session}/response`: the server publishes each token as raw UTF-8 text, then `[done]`;
 * - `{prefix}/{session}/status`: the server publishes `thinking`, `generating`, `done` (and
 *   optionally `error`);
 * - `{prefix}/{session}/control`: the client publishes `stop` (our addition; servers may ignore it).
 *
 * It has no request ids, no sequence numbers and no replay: a token published while a client is
 * offline is lost. Topics come from `plainTokenTopic` in `topics.ts`.
 */
import type { UIMessage } from 'ai';

/** The response payload that ends a turn. */
export const PLAIN_TOKEN_DONE = '[done]';
/** The control payload that asks the server to stop the running turn. */
export const PLAIN_TOKEN_STOP = 'stop';
/** Status strings a plain-token server publishes, in the order of a turn (`error` when it fails). */
export const PLAIN_TOKEN_STATUSES = ['thinking', 'generating', 'done', 'error'] as const;
/** One status of a plain-token turn. */
export type PlainTokenStatus = (typeof PLAIN_TOKEN_STATUSES)[number];

/** What a plain-token client publishes on `request`: the seed's `prompt`, plus the conversation. */
export interface PlainTokenRequest {
  /** The text of the last user message: all a seed server reads. */
  prompt: string;
  /** The whole conversation as role + text, for servers that keep context. */
  messages: { role: UIMessage['role']; content: string }[];
  /** Extra fields (`model`, `max_tokens`, ...), from the transport's `body` option. */
  [field: string]: unknown;
}

const decoder = new TextDecoder();

/** A message's text parts joined: the only part kind the plain-token protocol can carry. */
export function messageText(message: UIMessage): string {
  return message.parts.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

/** The request payload of a turn over `messages`; extra fields cannot replace `prompt` or `messages`. */
export function encodePlainTokenRequest(messages: readonly UIMessage[], extra: Record<string, unknown> = {}): string {
  const lastUser = [...messages].reverse().find((message) => message.role === 'user');
  const request: PlainTokenRequest = {
    ...extra,
    prompt: lastUser ? messageText(lastUser) : '',
    messages: messages.map((message) => ({ role: message.role, content: messageText(message) })),
  };
  return JSON.stringify(request);
}

/** A `status` payload as a known status, or null for anything else (dropped and counted). */
export function decodePlainTokenStatus(payload: Uint8Array): PlainTokenStatus | null {
  const text = decoder.decode(payload).trim();
  return (PLAIN_TOKEN_STATUSES as readonly string[]).includes(text) ? (text as PlainTokenStatus) : null;
}

/** A `response` payload: the end marker or a token. Tokens keep their whitespace. */
export function decodePlainTokenResponse(payload: Uint8Array): { done: true } | { done: false; token: string } {
  const text = decoder.decode(payload);
  return text === PLAIN_TOKEN_DONE ? { done: true } : { done: false, token: text };
}
