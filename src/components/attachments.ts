import type { FileUIPart } from 'ai';

/**
 * The default attachment budget: the worker's default request limit (256 KiB) minus room for the
 * envelope, the text and the recent history that travel in the same request. Attachments travel
 * as data URLs, so the budget counts encoded bytes, not file sizes.
 */
export const DEFAULT_MAX_ATTACHMENT_BYTES = 256 * 1024 - 32 * 1024;

/** A file read for sending: the part `sendMessage` takes, and its encoded size. */
export interface Attachment {
  id: string;
  part: FileUIPart;
  /** Bytes it adds to the request (the data URL's length). */
  bytes: number;
}

/** `1.2 MB`-style sizes for people. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

let nextId = 0;

/** Reads a file into a data-URL file part. */
export function readAttachment(file: File): Promise<Attachment> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onerror = () => reject(reader.error ?? new Error(`Could not read ${file.name}`));
    reader.onload = () => {
      const url = String(reader.result);
      resolve({
        id: `att-${++nextId}`,
        part: { type: 'file', mediaType: file.type || 'application/octet-stream', filename: file.name, url },
        bytes: url.length,
      });
    };
    reader.readAsDataURL(file);
  });
}

/** Total encoded bytes of a set of attachments. */
export function attachmentBytes(attachments: readonly Attachment[]): number {
  return attachments.reduce((sum, a) => sum + a.bytes, 0);
}
