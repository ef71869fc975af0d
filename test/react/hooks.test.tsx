import { describe, expect, it, vi } from 'vitest';
import { StrictMode } from 'react';
import { act, renderHook } from '@testing-library/react';
import { useConnectionState } from '../../src/hooks/use-connection-state.js';
import { useGenerationStatus } from '../../src/hooks/use-generation-status.js';
import { useRecoveryState } from '../../src/hooks/use-recovery-state.js';
import { useChatTransport } from '../../src/hooks/use-chat-transport.js';
import { useCountdown } from '../../src/hooks/use-countdown.js';
import { useTransportStats } from '../../src/hooks/use-transport-stats.js';
import { Store } from '../../src/transport/store.js';
import { emptyStats } from '../../src/transport/stats.js';
import { chatErrorKind, isNetworkError } from '../../src/hooks/errors.js';
import { StreamTimeoutError, AuthError, createNetworkError } from '../../src/transport/errors.js';
import { FakeTransport } from './fake-transport.js';

describe('useConnectionState', () => {
  it('follows the connection store and exposes retry()', () => {
    const transport = new FakeTransport();
    const { result } = renderHook(() => useConnectionState(transport));
    expect(result.current.status).toBe('connected');
    expect(result.current.isConnected).toBe(true);
    act(() => transport.setConnection({ status: 'reconnecting', attempt: 3, nextRetryAt: 1234 }));
    expect(result.current).toMatchObject({ status: 'reconnecting', attempt: 3, nextRetryAt: 1234, isConnected: false });
    result.current.retry();
    expect(transport.retries).toBe(1);
  });

  it('returns the same object across renders until the connection changes', () => {
    const transport = new FakeTransport();
    const { result, rerender } = renderHook(() => useConnectionState(transport));
    const first = result.current;
    rerender();
    expect(result.current).toBe(first);
    act(() => transport.setConnection({ attempt: 0 })); // no actual change
    expect(result.current).toBe(first);
    act(() => transport.setConnection({ status: 'offline' }));
    expect(result.current).not.toBe(first);
  });
});

describe('useGenerationStatus / useRecoveryState', () => {
  it('keeps the chat retained while mounted and reports the worker status', () => {
    const transport = new FakeTransport();
    const { result, unmount } = renderHook(() => useGenerationStatus(transport, 'c1'));
    expect(transport.retained).toBe(1);
    expect(result.current).toMatchObject({ status: 'idle', isActive: false, requestId: null });
    act(() => transport.activity('c1').update({ requestId: 'r1', turnState: 'thinking' }));
    expect(result.current).toMatchObject({ status: 'thinking', isActive: true, requestId: 'r1' });
    const thinking = result.current;
    act(() => transport.activity('c1').update({ lastSeq: 7 })); // not part of the generation axis
    expect(result.current).toBe(thinking);
    act(() => transport.activity('c1').update({ turnState: 'error', error: 'model overloaded' }));
    expect(result.current).toMatchObject({ status: 'error', isActive: false, error: 'model overloaded' });
    unmount();
    expect(transport.retained).toBe(0);
  });

  it('reports recovery and keeps its identity while only other fields change', () => {
    const transport = new FakeTransport();
    const { result } = renderHook(() => useRecoveryState(transport, 'c1'));
    const before = result.current;
    act(() => transport.activity('c1').update({ turnState: 'generating' }));
    expect(result.current).toBe(before);
    act(() => transport.activity('c1').update({ recovery: { resuming: false, recoveredChunks: 12, lastRecoveredAt: 5, droppedAt: null } }));
    expect(result.current.recoveredChunks).toBe(12);
  });
});

describe('useChatTransport with an instance', () => {
  it('returns the caller’s transport and never closes it', () => {
    const transport = new FakeTransport();
    const { result, unmount } = renderHook(() => useChatTransport(transport), { wrapper: StrictMode });
    expect(result.current).toBe(transport);
    unmount();
    expect(transport.closed).toBe(false);
  });
});

describe('useCountdown', () => {
  it('counts whole seconds down to the target and stops at zero', () => {
    // Fake timers: on a busy machine a real 1 s wait raced the hook's own timer (seen in CI).
    vi.useFakeTimers();
    try {
      const target = Date.now() + 1_200;
      const { result } = renderHook(() => useCountdown(target));
      expect(result.current).toBe(2);
      act(() => vi.advanceTimersByTime(200));
      expect(result.current).toBe(1);
      act(() => vi.advanceTimersByTime(1_000));
      expect(result.current).toBe(0);
      act(() => vi.advanceTimersByTime(5_000));
      expect(result.current).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('is null without a target', () => {
    const { result } = renderHook(() => useCountdown(null));
    expect(result.current).toBeNull();
  });
});

describe('error classification', () => {
  it('treats the transport’s network TypeError as resumable and the rest as failures', () => {
    expect(isNetworkError(createNetworkError('socket closed'))).toBe(true);
    expect(chatErrorKind(createNetworkError('x'))).toBe('network');
    expect(chatErrorKind(new StreamTimeoutError(1000))).toBe('timeout');
    expect(chatErrorKind(new AuthError('nope'))).toBe('auth');
    expect(chatErrorKind(new Error('boom'))).toBe('other');
    expect(chatErrorKind(new TypeError('x is not a function'))).toBe('other');
    expect(chatErrorKind(undefined)).toBeNull();
  });
});

describe('useTransportStats', () => {
  it('reads the transport’s counters, and zeros when it has none', () => {
    const transport = new FakeTransport();
    const { result: none } = renderHook(() => useTransportStats(transport));
    expect(none.current.received).toBe(0);
    const stats = new Store(emptyStats());
    const withStats = Object.assign(new FakeTransport(), { stats });
    const { result } = renderHook(() => useTransportStats(withStats));
    act(() => stats.update({ received: 12, chunksRecovered: 3 }));
    expect(result.current).toMatchObject({ received: 12, chunksRecovered: 3 });
  });
});
