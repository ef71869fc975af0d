/**
 * The payload of a worker's presence topic (`{prefix}/~/sys/workers/{group}/{workerId}`), the one
 * codec for it. Every record names the connection it speaks for (`n`, the worker's incarnation: it
 * grows with every connection the worker opens), so a last will that the broker publishes late,
 * after the worker already reconnected elsewhere, is recognised as stale and cannot clear the
 * worker's newer presence.
 *
 * - `here`: the worker serves on connection `n`. With `ask`, it asks every member to answer at
 *   once ("who is there"); an answer carries the asked nonce in `re`; `r: 1` marks a runner (an
 *   HTTP trigger: it runs turns, takes no chats).
 * - `gone`: connection `n` ended (the last will set when that connection opened).
 * - an empty payload: the worker left for good (it closed); older workers also wrote it as their will.
 */

/**
 * A decoded presence record. `runner` marks a member that runs turns but takes no chats (an HTTP
 * trigger): its presence keeps its running turns from being swept, and it is never an owner.
 */
export type PresenceRecord = { state: 'here'; incarnation: number; ask?: string; re?: string; runner?: true } | { state: 'gone'; incarnation: number } | { state: 'left' };

/** A record is a few dozen bytes; anything far larger is foreign. */
const MAX_RECORD_BYTES = 256;
const NONCE = /^[A-Za-z0-9_-]{1,32}$/;

/** Encodes a presence record (`left` is the empty payload). */
export function encodePresence(record: PresenceRecord): string {
  if (record.state === 'left') return '';
  if (record.state === 'gone') return JSON.stringify({ v: 1, s: 'gone', n: record.incarnation });
  return JSON.stringify({ v: 1, s: 'here', n: record.incarnation, ...(record.ask ? { ask: record.ask } : {}), ...(record.re ? { re: record.re } : {}), ...(record.runner ? { r: 1 } : {}) });
}

/** Decodes a presence payload; null for anything malformed or foreign (the caller drops and counts it). */
export function decodePresence(payload: Uint8Array): PresenceRecord | null {
  if (payload.byteLength === 0) return { state: 'left' };
  if (payload.byteLength > MAX_RECORD_BYTES) return null;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { v, s, n, ask, re, r } = value as Record<string, unknown>;
  if (v !== 1 || typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) return null;
  if (s === 'gone') return { state: 'gone', incarnation: n };
  if (s !== 'here') return null;
  if ((ask !== undefined && !(typeof ask === 'string' && NONCE.test(ask))) || (re !== undefined && !(typeof re === 'string' && NONCE.test(re)))) return null;
  if (r !== undefined && r !== 1) return null;
  return { state: 'here', incarnation: n, ...(ask ? { ask: ask as string } : {}), ...(re ? { re: re as string } : {}), ...(r === 1 ? { runner: true as const } : {}) };
}
