import { describe, expect, test } from 'vitest';
import { nextTurnPhase, type TurnEvent, type TurnPhase } from '../../src/transport/turn-lifecycle.js';

const run = (phase: TurnPhase, ...events: TurnEvent['type'][]) => events.reduce((p, type) => nextTurnPhase(p, { type } as TurnEvent), phase);

describe('turn lifecycle', () => {
  test('a turn sent online: sent, streaming, delivered', () => {
    expect(run('sent', 'worker-seen')).toBe('streaming');
    expect(run('sent', 'worker-seen', 'end-delivered')).toBe('delivered');
  });

  test('a prompt queued offline stays queued through drops, is sent once online, then streams', () => {
    expect(run('queued', 'connection-lost', 'connection-back')).toBe('queued');
    expect(run('queued', 'published')).toBe('sent');
    expect(run('queued', 'published', 'worker-seen', 'end-delivered')).toBe('delivered');
  });

  test('a drop mid-answer interrupts; back online it catches up, then streams live again', () => {
    expect(run('streaming', 'connection-lost')).toBe('interrupted');
    expect(run('streaming', 'connection-lost', 'connection-back')).toBe('catching-up');
    expect(run('streaming', 'connection-lost', 'connection-back', 'caught-up')).toBe('streaming');
  });

  test('the worker finished before this page had the end: catching up, not delivered', () => {
    expect(run('streaming', 'end-known')).toBe('catching-up');
    expect(run('streaming', 'end-known', 'end-delivered')).toBe('delivered');
    // Learning the end while offline does not pretend to be back online.
    expect(run('streaming', 'connection-lost', 'end-known')).toBe('interrupted');
  });

  test('settled phases never change again', () => {
    for (const settled of ['delivered', 'failed', 'cancelled'] as const) {
      for (const type of ['published', 'worker-seen', 'connection-lost', 'connection-back', 'end-known', 'end-delivered', 'caught-up', 'failed', 'cancelled'] as const) {
        expect(nextTurnPhase(settled, { type })).toBe(settled);
      }
    }
  });

  test('stop and failure end any open phase', () => {
    for (const open of ['queued', 'sent', 'streaming', 'interrupted', 'catching-up'] as const) {
      expect(nextTurnPhase(open, { type: 'cancelled' })).toBe('cancelled');
      expect(nextTurnPhase(open, { type: 'failed' })).toBe('failed');
    }
  });
});
