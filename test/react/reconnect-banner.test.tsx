import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, fireEvent, render, screen } from '@testing-library/react';
import { ReconnectBanner } from '../../src/components/reconnect-banner.js';
import type { ConnectionSnapshot } from '../../src/transport/connection-state.js';
import type { RecoverySnapshot } from '../../src/transport/chat-activity.js';
import { expectNoAxeViolations, FAKED_TIMERS } from './axe.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const connected: ConnectionSnapshot = { status: 'connected', attempt: 0, nextRetryAt: null, lastError: null, connectedAt: NOW - 60_000 };
const noRecovery: RecoverySnapshot = { resuming: false, recoveredChunks: 0, lastRecoveredAt: null, droppedAt: null };

function setup(initial: ConnectionSnapshot = connected, recovery: RecoverySnapshot = noRecovery) {
  const retry = vi.fn();
  const view = render(<ReconnectBanner connection={{ ...initial, retry }} recovery={recovery} />);
  const update = (next: Partial<ConnectionSnapshot>, nextRecovery: RecoverySnapshot = recovery) => {
    initial = { ...initial, ...next };
    recovery = nextRecovery;
    view.rerender(<ReconnectBanner connection={{ ...initial, retry }} recovery={recovery} />);
  };
  const banner = () => view.container.querySelector('[data-slot="reconnect-banner"]')!;
  return { ...view, retry, update, banner };
}

describe('ReconnectBanner', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: [...FAKED_TIMERS] });
    vi.setSystemTime(NOW);
  });
  afterEach(() => vi.useRealTimers());

  it('is invisible and silent while connected', async () => {
    const { banner, container } = setup();
    expect(banner().getAttribute('data-state')).toBe('hidden');
    expect(screen.getByRole('status').textContent).toBe('');
    expect(screen.queryByRole('button')).toBeNull();
    await expectNoAxeViolations(container);
  });

  it('does not appear for the very first connect', () => {
    const { banner } = setup({ ...connected, status: 'connecting', connectedAt: null });
    expect(banner().getAttribute('data-state')).toBe('hidden');
  });

  it('on a drop shows a polite message, the attempt and a countdown that ticks each second', async () => {
    const { update, banner, container } = setup();
    update({ status: 'reconnecting', attempt: 2, nextRetryAt: NOW + 5_000 });
    expect(banner().getAttribute('data-state')).toBe('reconnecting');
    expect(screen.getByRole('status').textContent).toBe('Connection lost. Reconnecting…');
    expect(screen.queryByRole('alert')).toBeNull();
    const details = container.querySelector('[data-slot="reconnect-banner-details"]')!;
    expect(details.textContent).toBe('Attempt 2 · next try in 5 s');
    // The countdown is outside the live region: it must not be announced every second.
    expect(screen.getByRole('status').contains(details)).toBe(false);

    act(() => vi.advanceTimersByTime(1_000));
    expect(details.textContent).toBe('Attempt 2 · next try in 4 s');
    act(() => vi.advanceTimersByTime(3_000));
    expect(details.textContent).toBe('Attempt 2 · next try in 1 s');
    act(() => vi.advanceTimersByTime(1_000));
    expect(details.textContent).toBe('Attempt 2 · retrying now');
    // Last: axe swaps the fake timers out while it runs.
    await expectNoAxeViolations(container);
  });

  it('Retry calls the connection retry', () => {
    const { update, retry } = setup();
    update({ status: 'reconnecting', attempt: 1, nextRetryAt: NOW + 3_000 });
    fireEvent.click(screen.getByRole('button', { name: 'Retry now' }));
    expect(retry).toHaveBeenCalledTimes(1);
  });

  it('shows refused credentials as an alert, with no countdown', async () => {
    const { update, banner, container } = setup();
    update({ status: 'error', attempt: 1, lastError: { kind: 'auth', message: 'not authorized' } });
    expect(banner().getAttribute('data-state')).toBe('auth-failed');
    expect(screen.getByRole('alert').textContent).toMatch(/refused your credentials/);
    expect(container.querySelector('[data-slot="reconnect-banner-countdown"]')).toBeNull();
    await expectNoAxeViolations(container);
  });

  it('shows an unreachable broker as an alert while it keeps trying', async () => {
    const { update, container } = setup();
    update({ status: 'reconnecting', attempt: 3, nextRetryAt: NOW + 8_000, lastError: { kind: 'unreachable', message: 'ECONNREFUSED' } });
    expect(screen.getByRole('alert').textContent).toBe('The chat service cannot be reached.');
    expect(container.querySelector('[data-slot="reconnect-banner-details"]')!.textContent).toBe('Attempt 3 · next try in 8 s');
    await expectNoAxeViolations(container);
  });

  it('says so when the browser is offline', () => {
    const { update, banner } = setup();
    update({ status: 'offline' });
    expect(banner().getAttribute('data-state')).toBe('offline');
    expect(screen.getByRole('status').textContent).toMatch(/offline/);
  });

  it('after the connection is back, reports catching up and then the recovered tokens, then goes away', async () => {
    const { update, banner } = setup();
    update({ status: 'reconnecting', attempt: 1, nextRetryAt: NOW + 1_000 });
    act(() => vi.advanceTimersByTime(1_500));
    update({ status: 'connected', attempt: 0, nextRetryAt: null, connectedAt: Date.now() }, { resuming: true, recoveredChunks: 0, lastRecoveredAt: null, droppedAt: null });
    expect(banner().getAttribute('data-state')).toBe('resuming');
    expect(screen.getByRole('status').textContent).toBe('Reconnected. Catching up on the answer…');

    update({}, { resuming: false, recoveredChunks: 42, lastRecoveredAt: Date.now(), droppedAt: null });
    expect(banner().getAttribute('data-state')).toBe('recovered');
    expect(screen.getByRole('status').textContent).toBe('Reconnected. The answer is up to date.');

    act(() => vi.advanceTimersByTime(8_000));
    expect(banner().getAttribute('data-state')).toBe('hidden');
    expect(screen.getByRole('status').textContent).toBe('');
  });

  it('the recovered notice can be dismissed', async () => {
    const { update, banner, container } = setup();
    update({ status: 'reconnecting', attempt: 1 });
    update({ status: 'connected', attempt: 0, connectedAt: Date.now() + 1 }, { resuming: false, recoveredChunks: 1, lastRecoveredAt: Date.now() + 2, droppedAt: null });
    expect(screen.getByRole('status').textContent).toBe('Reconnected. The answer is up to date.');
    await expectNoAxeViolations(container);
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss' }));
    expect(banner().getAttribute('data-state')).toBe('hidden');
  });

  it('does not claim a recovery when the connection never dropped (e.g. a late join)', () => {
    const { update, banner } = setup();
    update({}, { resuming: false, recoveredChunks: 30, lastRecoveredAt: Date.now(), droppedAt: null });
    expect(banner().getAttribute('data-state')).toBe('hidden');
  });

  it('a gap repair long after the reconnect is not announced as a reconnect recovery', () => {
    const { update, banner } = setup();
    update({ status: 'reconnecting', attempt: 1 });
    update({ status: 'connected', attempt: 0, connectedAt: Date.now() });
    act(() => vi.advanceTimersByTime(5 * 60_000));
    update({}, { resuming: false, recoveredChunks: 3, lastRecoveredAt: Date.now(), droppedAt: null });
    expect(banner().getAttribute('data-state')).toBe('hidden');
  });
});
