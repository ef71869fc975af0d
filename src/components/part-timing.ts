/**
 * When a streamed part (a tool call, a reasoning block) was first seen running and when it
 * finished, for "ran 1.2 s" and "Thought for 4 s". Display only; parts loaded already finished
 * have no timing. Kept outside React because a row remounts when its answer settles. Bounded.
 */
const MAX_ENTRIES = 500;
const timings = new Map<string, { start: number; end: number | null }>();

/** Records what is known now and returns the duration in ms once the part has finished. */
export function observePartTiming(key: string, running: boolean, now = Date.now()): number | null {
  let entry = timings.get(key);
  if (!entry) {
    if (!running) return null; // first seen finished: we never saw it run
    entry = { start: now, end: null };
    timings.set(key, entry);
    if (timings.size > MAX_ENTRIES) timings.delete(timings.keys().next().value as string);
  }
  if (!running && entry.end === null) entry.end = now;
  return entry.end === null ? null : entry.end - entry.start;
}
