/**
 * Validation of an incoming turn before any model is called: envelope shape, ids, sizes and
 * message count, then the AI SDK's own message validation.
 */
import { safeValidateUIMessages, type UIMessage } from 'ai';
import type { RequestEnvelope } from '../transport/envelope.js';
import { ChatKitError } from '../transport/errors.js';

/** Limits every request is checked against before any model is called. */
export interface RequestLimits {
  /** Largest request payload in bytes. Default 256 KiB. */
  maxRequestBytes: number;
  /** Most messages in one request. Default 1 000 (the transport sends the whole thread each turn). */
  maxMessages: number;
}

/** 256 KiB and 1 000 messages per request. */
export const DEFAULT_REQUEST_LIMITS: RequestLimits = { maxRequestBytes: 256 * 1024, maxMessages: 1_000 };

/** A request that failed validation; its message says which rule. */
export class InvalidRequestError extends ChatKitError {
  constructor(message: string) {
    super('invalid-request', message);
    this.name = 'InvalidRequestError';
  }
}

/** Throws {@link InvalidRequestError} when the request must not reach a model. */
export async function validateTurnRequest(request: RequestEnvelope, payloadBytes: number, limits: RequestLimits): Promise<UIMessage[]> {
  if (payloadBytes > limits.maxRequestBytes) throw new InvalidRequestError(`Request of ${payloadBytes} bytes exceeds ${limits.maxRequestBytes}.`);
  if (request.messages.length === 0) throw new InvalidRequestError('Request has no messages.');
  if (request.messages.length > limits.maxMessages) throw new InvalidRequestError(`Request has ${request.messages.length} messages; at most ${limits.maxMessages}.`);
  const result = await safeValidateUIMessages({ messages: request.messages });
  if (!result.success) throw new InvalidRequestError(`Invalid messages: ${result.error.message.slice(0, 200)}`);
  return result.data;
}
