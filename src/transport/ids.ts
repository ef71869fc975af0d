const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A random id that is also a valid topic segment. 16 base62 characters carry ~95 bits:
 * unguessable enough for request and client ids, and short because it travels in every envelope.
 */
export function randomId(length = 16): string {
  const bytes = new Uint8Array(length);
  globalThis.crypto.getRandomValues(bytes);
  let id = '';
  for (const byte of bytes) id += ALPHABET[byte % 62];
  return id;
}
