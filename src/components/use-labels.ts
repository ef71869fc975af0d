import { useRef } from 'react';
import { mergeLabels, type ChatLabels } from './labels.js';

function shallowEqual(a: object | undefined, b: object | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.is((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * Merged labels that keep their identity while the overrides are shallow-equal, so an inline
 * `labels={{ send: 'Go' }}` does not re-render every memoized row on each parent render.
 */
export function useLabels(overrides?: Partial<ChatLabels>): ChatLabels {
  const cache = useRef<{ overrides?: Partial<ChatLabels>; labels: ChatLabels } | null>(null);
  if (cache.current === null || !shallowEqual(cache.current.overrides, overrides)) {
    cache.current = { overrides, labels: mergeLabels(overrides) };
  }
  return cache.current.labels;
}
