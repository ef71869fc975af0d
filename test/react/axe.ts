import axe from 'axe-core';
import { expect, vi } from 'vitest';

/** Timers the banner tests fake; axe needs the real ones, so they are swapped out for its run. */
export const FAKED_TIMERS = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] as const;

/**
 * Runs axe on a rendered subtree and fails with the rule ids and targets of any violation.
 * `color-contrast` is off because jsdom has no layout or computed colours; the Storybook
 * tests run in Chromium where contrast is real.
 */
export async function expectNoAxeViolations(node: Element): Promise<void> {
  const faked = vi.isFakeTimers();
  const now = Date.now();
  if (faked) vi.useRealTimers();
  try {
    const result = await axe.run(node, { rules: { 'color-contrast': { enabled: false } }, resultTypes: ['violations'] });
    const summary = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
    expect(summary).toEqual([]);
  } finally {
    if (faked) {
      vi.useFakeTimers({ toFake: [...FAKED_TIMERS] });
      vi.setSystemTime(now);
    }
  }
}
