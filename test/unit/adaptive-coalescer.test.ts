import { describe, expect, test } from 'vitest';
import { AdaptiveCoalescer, ADAPTIVE_COALESCING_DEFAULTS, coalescingWindowMs } from '../../src/server/adaptive-coalescer.js';

describe('coalescingWindowMs', () => {
  test('a link that keeps up gets window 0: every token leaves at once', () => {
    expect(coalescingWindowMs(0, 0)).toBe(0);
    expect(coalescingWindowMs(ADAPTIVE_COALESCING_DEFAULTS.lagThresholdMs, ADAPTIVE_COALESCING_DEFAULTS.backlogThresholdBytes)).toBe(0);
  });

  test('a lagging link merges for about one round trip', () => {
    expect(coalescingWindowMs(20, 0)).toBe(20);
  });

  test('a growing socket backlog opens the window in proportion', () => {
    const threshold = ADAPTIVE_COALESCING_DEFAULTS.backlogThresholdBytes;
    expect(coalescingWindowMs(0, 2 * threshold)).toBe(25);
    expect(coalescingWindowMs(0, 4 * threshold)).toBe(50);
  });

  test('the window never exceeds maxWindowMs, however bad the link', () => {
    expect(coalescingWindowMs(5_000, 1e9)).toBe(ADAPTIVE_COALESCING_DEFAULTS.maxWindowMs);
    expect(coalescingWindowMs(5_000, 0, { ...ADAPTIVE_COALESCING_DEFAULTS, maxWindowMs: 16 })).toBe(16);
  });
});

describe('AdaptiveCoalescer', () => {
  test('opens under sustained lag and closes again once acknowledgements are fast', () => {
    const coalescer = new AdaptiveCoalescer();
    expect(coalescer.windowMs()).toBe(0);
    for (let i = 0; i < 20; i++) coalescer.observeAckLag(40);
    expect(coalescer.windowMs()).toBeGreaterThanOrEqual(35);
    for (let i = 0; i < 20; i++) coalescer.observeAckLag(1);
    expect(coalescer.windowMs()).toBe(0);
  });

  test('one slow acknowledgement among fast ones does not open the window', () => {
    const coalescer = new AdaptiveCoalescer();
    for (let i = 0; i < 10; i++) coalescer.observeAckLag(1);
    coalescer.observeAckLag(30);
    expect(coalescer.windowMs()).toBe(0);
  });

  test('nonsense observations are ignored, bad options refused', () => {
    const coalescer = new AdaptiveCoalescer();
    coalescer.observeAckLag(Number.NaN);
    coalescer.observeAckLag(-5);
    coalescer.observeBacklog(Number.POSITIVE_INFINITY);
    expect(coalescer.windowMs()).toBe(0);
    expect(() => new AdaptiveCoalescer({ smoothing: 0 })).toThrow(RangeError);
    expect(() => new AdaptiveCoalescer({ maxWindowMs: -1 })).toThrow(RangeError);
  });
});
