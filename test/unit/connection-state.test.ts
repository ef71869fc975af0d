import { describe, expect, test } from 'vitest';
import { backoffDelay, INITIAL_CONNECTION, nextConnectionState, type ConnectionEvent } from '../../src/transport/index.js';

const run = (events: ConnectionEvent[]) => events.reduce(nextConnectionState, INITIAL_CONNECTION);

describe('connection state machine', () => {
  test('connect, lose, retry, reconnect', () => {
    expect(run([{ type: 'attempt' }]).status).toBe('connecting');
    const lost = run([{ type: 'attempt' }, { type: 'connected', at: 1 }, { type: 'lost' }]);
    expect(lost.status).toBe('reconnecting');
    const scheduled = nextConnectionState(lost, { type: 'retry-scheduled', at: 500 });
    expect(scheduled).toMatchObject({ status: 'reconnecting', nextRetryAt: 500 });
    const attempting = nextConnectionState(scheduled, { type: 'attempt' });
    expect(attempting).toMatchObject({ status: "reconnecting", attempt: 1, nextRetryAt: null });
    expect(nextConnectionState(attempting, { type: 'connected', at: 9 })).toEqual({ status: 'connected', attempt: 0, nextRetryAt: null, lastError: null, connectedAt: 9 });
  });

  test('an auth refusal is a terminal error, an unreachable broker keeps reconnecting', () => {
    expect(run([{ type: 'attempt' }, { type: 'failed', error: { kind: 'auth', message: 'no' } }]).status).toBe('error');
    expect(run([{ type: 'attempt' }, { type: 'failed', error: { kind: 'unreachable', message: 'no' } }]).status).toBe('reconnecting');
  });

  test('browser offline wins over scheduled retries', () => {
    const offline = run([{ type: 'connected', at: 1 }, { type: 'browser-offline' }, { type: 'retry-scheduled', at: 5 }]);
    expect(offline.status).toBe('offline');
  });
});

describe('backoff with jitter', () => {
  test('grows exponentially up to the cap, within [ceiling/2, ceiling]', () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const ceiling = Math.min(30_000, 500 * 2 ** (attempt - 1));
      expect(backoffDelay(attempt, { random: () => 0 })).toBe(Math.round(ceiling / 2));
      expect(backoffDelay(attempt, { random: () => 0.999999 })).toBeLessThanOrEqual(ceiling);
    }
  });

  test('1 000 clients retrying the same attempt spread over the window, not in lock-step', () => {
    const delays = Array.from({ length: 1_000 }, () => backoffDelay(4));
    const distinct = new Set(delays).size;
    expect(distinct).toBeGreaterThan(500);
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(1_500);
  });
});
