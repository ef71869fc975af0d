/**
 * Classifies a `useChat` error for the UI. A network error is the transport's "connection dropped"
 * signal: it is resumable, so UIs show the reconnect banner rather than an error row.
 */
export type ChatErrorKind = 'network' | 'timeout' | 'auth' | 'other';

/** True for the transport's resumable "connection dropped" error (a `TypeError` that mentions the network). */
export function isNetworkError(error: unknown): boolean {
  return error instanceof TypeError && /network|fetch/i.test(error.message);
}

/** Sorts a `useChat` error for the UI: `network` (banner), `timeout`, `auth` or `other` (error row); null for none. */
export function chatErrorKind(error: unknown): ChatErrorKind | null {
  if (error == null) return null;
  if (isNetworkError(error)) return 'network';
  const code = (error as { code?: unknown }).code;
  if (code === 'stream-timeout') return 'timeout';
  if (code === 'auth') return 'auth';
  return 'other';
}
