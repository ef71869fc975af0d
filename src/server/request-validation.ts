/**
 * Validation of an incoming turn before any model is called: size (before anything is decoded),
 * nesting depth, message count, then the AI SDK's own message validation of the new message.
 */
import { safeValidateUIMessages, type UIMessage } from 'ai';
import type { RequestEnvelope } from '../transport/envelope.js';
import { ChatKitError } from '../transport/errors.js';

/** Limits every request is checked against before any model is called. */
export interface RequestLimits {
  /** Largest request payload in bytes, checked before the payload is decoded. Default 256 KiB. */
  maxRequestBytes: number;
  /**
   * Most messages in one request. Default 1 000. A request carries only what is new (one message);
   * a client that still sends its whole thread has everything but the last message ignored.
   */
  maxMessages: number;
  /** Deepest nesting of objects and arrays in a request's messages. Default 64. */
  maxDepth: number;
}

/** 256 KiB and 1 000 messages per request. */
export const DEFAULT_REQUEST_LIMITS: RequestLimits = { maxRequestBytes: 256 * 1024, maxMessages: 1_000, maxDepth: 64 };

/** A request that failed validation; its message says which rule. */
export class InvalidRequestError extends ChatKitError {
  constructor(message: string) {
    super('invalid-request', message);
    this.name = 'InvalidRequestError';
  }
}

/** Throws {@link InvalidRequestError} for a payload larger than the limit; call it before decoding. */
export function assertRequestSize(payloadBytes: number, limits: RequestLimits): void {
  if (payloadBytes > limits.maxRequestBytes) throw new InvalidRequestError(`Request of ${payloadBytes} bytes exceeds ${limits.maxRequestBytes}.`);
}

/**
 * Throws {@link InvalidRequestError} when the request must not reach a model; returns the message it
 * adds (the last one it carries), or undefined for a regenerate request that carries none.
 */
export async function validateTurnRequest(request: RequestEnvelope, limits: RequestLimits): Promise<UIMessage | undefined> {
  if (request.messages.length > limits.maxMessages) throw new InvalidRequestError(`Request has ${request.messages.length} messages; at most ${limits.maxMessages}.`);
  const incoming = request.messages.at(-1);
  if (!incoming) {
    if (request.trigger === 'regenerate-message') return undefined;
    throw new InvalidRequestError('Request has no messages.');
  }
  if (depthOf(incoming, limits.maxDepth) > limits.maxDepth) throw new InvalidRequestError(`Request nests deeper than ${limits.maxDepth} levels.`);
  const result = await safeValidateUIMessages({ messages: [incoming] });
  if (!result.success) throw new InvalidRequestError(`Invalid messages: ${result.error.message.slice(0, 200)}`);
  return result.data[0];
}

/** Nesting depth of a JSON value, measured without recursion and stopping just past `limit`. */
export function depthOf(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
    for (const child of Object.values(current as object)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return deepest;
}
