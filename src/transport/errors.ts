/**
 * Typed errors of the kit. Each has a stable `code` so UIs and tests can branch without parsing
 * messages. Network-level failures are deliberately *not* here: they are raised as `TypeError`s
 * whose message mentions "network", which is what `useChat` treats as a resumable disconnect.
 */
export type ChatKitErrorCode =
  | 'invalid-topic-segment'
  | 'invalid-options'
  | 'stream-timeout'
  | 'request-rejected'
  | 'auth'
  | 'turn-failed'
  | 'invalid-request'
  | 'rate-limited'
  | 'transport-closed'
  | 'request-too-large'
  | 'query-failed'
  | 'turn-lost';

/** Base class of the kit's typed errors: branch on `code`, not on the message. */
export class ChatKitError extends Error {
  readonly code: ChatKitErrorCode;
  constructor(code: ChatKitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ChatKitError';
    this.code = code;
  }
}

/** A user id, chat id or client id that cannot stand in a topic (`/`, `+`, `#`, `$`, too long). */
export class InvalidTopicSegmentError extends ChatKitError {
  constructor(kind: string, value: unknown) {
    super('invalid-topic-segment', `${kind} must match [A-Za-z0-9_-]{1,64} (got ${JSON.stringify(String(value)).slice(0, 80)})`);
    this.name = 'InvalidTopicSegmentError';
  }
}

/** No chunk arrived for `streamTimeout` ms while the turn was live: the worker is gone or stuck. */
export class StreamTimeoutError extends ChatKitError {
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super('stream-timeout', `No response from the chat worker for ${timeoutMs} ms; the turn was given up.`);
    this.name = 'StreamTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** The HTTP trigger answered with something other than 202, or the worker refused the request. */
export class RequestRejectedError extends ChatKitError {
  readonly status?: number;
  constructor(message: string, status?: number) {
    super('request-rejected', message);
    this.name = 'RequestRejectedError';
    this.status = status;
  }
}

/** Credentials were refused or could not be fetched. Not retried in a loop: the user must act. */
export class AuthError extends ChatKitError {
  readonly status?: number;
  constructor(message: string, options?: { status?: number; cause?: unknown }) {
    super('auth', message, options);
    this.name = 'AuthError';
    this.status = options?.status;
  }
}

/** The worker reported the turn as failed (status `error`). */
export class TurnFailedError extends ChatKitError {
  constructor(message: string) {
    super('turn-failed', message);
    this.name = 'TurnFailedError';
  }
}

/**
 * A request is larger than the limit the transport checks before publishing or posting it. Thrown
 * at once: a broker would drop the connection over it, and re-sending would loop.
 */
export class RequestTooLargeError extends ChatKitError {
  /** The request's encoded size, bytes. */
  readonly size: number;
  /** The limit (`maxRequestBytes`), bytes. */
  readonly limit: number;
  /**
   * Who refused it: the transport's own check (`transport`), the HTTP trigger's 413 (`server`),
   * or the broker, which closed the connection every time the request was sent (`broker`).
   */
  readonly refusedBy: 'transport' | 'server' | 'broker';
  constructor(size: number, limit: number, refusedBy: 'transport' | 'server' | 'broker' = 'transport') {
    super(
      'request-too-large',
      refusedBy === 'broker'
        ? `The chat request is ${size} bytes, within this transport's limit of ${limit} bytes (maxRequestBytes), but the MQTT broker closed the connection every time it was sent: it accepts smaller packets. Lower maxRequestBytes to the broker's packet limit, raise the broker's, or send large files as a URL part.`
        : `The chat request is ${size} bytes; the limit is ${limit} bytes (maxRequestBytes). Send large files as a URL part, or raise the limit on the broker, the worker and the transport together.`,
    );
    this.name = 'RequestTooLargeError';
    this.size = size;
    this.limit = limit;
    this.refusedBy = refusedBy;
  }
}

/** No worker knows the turn and this page cannot send it again (the worker said `unknown`). */
export class TurnLostError extends ChatKitError {
  constructor(requestId: string) {
    super('turn-lost', `No chat worker knows turn ${requestId}; it cannot be resumed.`);
    this.name = 'TurnLostError';
  }
}

/** The network error `useChat` resumes from: a `TypeError` whose message says "network". */
export function createNetworkError(detail: string): TypeError {
  return new TypeError(`MQTT network connection lost: ${detail}`);
}
