/**
 * Which URLs from a message may become a link or an image source. Message parts come from the
 * model and from other clients, so a `javascript:` URL in a `file` or `source-url` part must not
 * become a live link: React 18 (in the peer range) renders it as given. Parsing with `URL` also
 * catches the obfuscated forms (`java\tscript:`, leading spaces, upper case) browsers accept.
 */
const LINK_PROTOCOLS = new Set(['http:', 'https:', 'mailto:', 'blob:']);
const IMAGE_PROTOCOLS = new Set(['http:', 'https:', 'blob:', 'data:']);

/** Resolves relative URLs without a document (SSR); only the protocol is read from the result. */
const BASE = 'https://relative.invalid/';

function protocolOf(url: string): string | null {
  try {
    return new URL(url, BASE).protocol.toLowerCase();
  } catch {
    return null;
  }
}

/** The URL if it is safe as a link target (http, https, mailto, blob), else null. */
export function safeLinkUrl(url: string | undefined | null): string | null {
  if (!url) return null;
  const protocol = protocolOf(url);
  return protocol !== null && LINK_PROTOCOLS.has(protocol) ? url : null;
}

/** The URL if it is safe as an image source (http, https, blob, or a `data:image/…` URL), else null. */
export function safeImageUrl(url: string | undefined | null): string | null {
  if (!url) return null;
  const protocol = protocolOf(url);
  if (protocol === null || !IMAGE_PROTOCOLS.has(protocol)) return null;
  if (protocol === 'data:' && !/^\s*data:image\//i.test(url)) return null;
  return url;
}
