import { describe, expect, test } from 'vitest';
import { TurnRegistry, type TurnRecord } from '../../src/transport/turn-registry.js';

function setup() {
  const changes: string[] = [];
  const registry = new TurnRegistry((record) => changes.push(`${record.requestId}:${record.phase}`));
  return { registry, changes };
}

describe('TurnRegistry', () => {
  test('one record per request id: opening it again returns the same record', () => {
    const { registry } = setup();
    const first = registry.open({ requestId: 'r1', chatId: 'c', phase: 'sent', startedHere: true });
    expect(registry.open({ requestId: 'r1', chatId: 'c', phase: 'queued', startedHere: false })).toBe(first);
    expect(first.phase).toBe('sent');
  });

  test('a settled turn leaves the registry, releases its subscription and, when delivered, is remembered', () => {
    const { registry, changes } = setup();
    let released = 0;
    const record: TurnRecord = registry.open({ requestId: 'r1', chatId: 'c', phase: 'sent', startedHere: true });
    record.release = () => released++;
    registry.transition(record, { type: 'worker-seen' });
    registry.transition(record, { type: 'end-delivered' });
    expect(registry.get('r1')).toBeUndefined();
    expect(released).toBe(1);
    expect(registry.isDelivered('r1')).toBe(true);
    expect(changes).toEqual(['r1:sent', 'r1:streaming', 'r1:delivered']);
    // Late events change nothing and notify nobody.
    registry.transition(record, { type: 'connection-lost' });
    expect(changes).toHaveLength(3);
  });

  test('a failed or cancelled turn is not remembered as delivered: it may be resumed from elsewhere', () => {
    const { registry } = setup();
    const failed = registry.open({ requestId: 'r1', chatId: 'c', phase: 'streaming', startedHere: true });
    registry.transition(failed, { type: 'failed' });
    const cancelled = registry.open({ requestId: 'r2', chatId: 'c', phase: 'streaming', startedHere: true });
    registry.transition(cancelled, { type: 'cancelled' });
    expect(registry.isDelivered('r1')).toBe(false);
    expect(registry.isDelivered('r2')).toBe(false);
  });

  test('remembers how a settled turn ended; an open record of the same id hides it', () => {
    const { registry } = setup();
    const failed = registry.open({ requestId: 'r1', chatId: 'c', phase: 'streaming', startedHere: true });
    expect(registry.outcomeOf('r1')).toBeUndefined();
    registry.transition(failed, { type: 'failed' });
    expect(registry.outcomeOf('r1')).toBe('failed');
    const again = registry.open({ requestId: 'r1', chatId: 'c', phase: 'catching-up', startedHere: false });
    expect(registry.outcomeOf('r1')).toBeUndefined();
    registry.transition(again, { type: 'end-delivered' });
    expect(registry.outcomeOf('r1')).toBe('delivered');
    expect(registry.outcomeOf('unknown')).toBeUndefined();
  });

  test('the newest open record of a chat is the one a resume follows', () => {
    const { registry } = setup();
    registry.open({ requestId: 'r1', chatId: 'c', phase: 'interrupted', startedHere: true });
    registry.open({ requestId: 'r2', chatId: 'other', phase: 'sent', startedHere: true });
    registry.open({ requestId: 'r3', chatId: 'c', phase: 'queued', startedHere: true });
    expect(registry.latestOpen('c')?.requestId).toBe('r3');
    expect(registry.latestOpen('none')).toBeNull();
  });

  test('remembers at most 1 000 delivered ids, forgetting the oldest', () => {
    const { registry } = setup();
    for (let i = 0; i <= 1_000; i++) registry.remember(`r${i}`);
    expect(registry.isDelivered('r0')).toBe(false);
    expect(registry.isDelivered('r1')).toBe(true);
    expect(registry.isDelivered('r1000')).toBe(true);
  });
});
