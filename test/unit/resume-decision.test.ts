import { describe, expect, test } from 'vitest';
import { decideResume, type ResumeFacts } from '../../src/transport/resume-decision.js';

const facts = (patch: Partial<ResumeFacts> = {}): ResumeFacts => ({
  local: null,
  status: null,
  completeOf: null,
  lookup: null,
  latestStored: null,
  retainedSettled: false,
  delivered: () => false,
  ...patch,
});

describe('decideResume', () => {
  test('nothing known yet: settle the retained state first (ask), and only then say there is nothing', () => {
    expect(decideResume(facts())).toEqual({ kind: 'ask', requestId: null });
    expect(decideResume(facts({ retainedSettled: true }))).toEqual({ kind: 'none' });
  });

  test('a live status: replay it; a finished one with its complete: deliver the complete', () => {
    expect(decideResume(facts({ status: { requestId: 'r1', state: 'generating' } }))).toEqual({ kind: 'replay', requestId: 'r1' });
    expect(decideResume(facts({ status: { requestId: 'r1', state: 'done' }, completeOf: 'r1' }))).toEqual({ kind: 'complete', requestId: 'r1' });
  });

  test('a finished status without its complete is not a lost turn: ask the worker', () => {
    expect(decideResume(facts({ status: { requestId: 'r1', state: 'done' } }))).toEqual({ kind: 'ask', requestId: 'r1' });
    const answered = facts({ status: { requestId: 'r1', state: 'done' }, lookup: { requestId: 'r1', answer: { state: 'finished', finalState: 'done' } } });
    expect(decideResume(answered)).toEqual({ kind: 'stored', requestId: 'r1' });
  });

  test('a turn this page delivered is never delivered again', () => {
    expect(decideResume(facts({ status: { requestId: 'r1', state: 'done' }, completeOf: 'r1', delivered: (id) => id === 'r1' }))).toEqual({ kind: 'none' });
  });

  test('an interrupted turn of this page whose retained status was lost (broker restart): ask, then follow the answer', () => {
    const local = { requestId: 'r2', phase: 'interrupted' as const, holdsRequest: false, workerSeen: true };
    expect(decideResume(facts({ local }))).toEqual({ kind: 'ask', requestId: 'r2' });
    // The retained status names the previous turn: still ours to ask about.
    expect(decideResume(facts({ local, status: { requestId: 'r1', state: 'done' }, completeOf: 'r1' }))).toEqual({ kind: 'ask', requestId: 'r2' });
    expect(decideResume(facts({ local, lookup: { requestId: 'r2', answer: { state: 'live', lastSeq: 40 } } }))).toEqual({ kind: 'replay', requestId: 'r2' });
    expect(decideResume(facts({ local, lookup: { requestId: 'r2', answer: { state: 'finished', finalState: 'done' } }, completeOf: 'r2' }))).toEqual({ kind: 'complete', requestId: 'r2' });
  });

  test('the worker does not know the turn: send it again if this page holds it and no worker showed it, else it is lost', () => {
    const unknown = { requestId: 'r3', answer: { state: 'unknown' as const } };
    const neverSeen = { requestId: 'r3', phase: 'catching-up' as const, holdsRequest: true, workerSeen: false };
    expect(decideResume(facts({ local: neverSeen, lookup: unknown }))).toEqual({ kind: 'resend', requestId: 'r3' });
    expect(decideResume(facts({ local: { ...neverSeen, workerSeen: true }, lookup: unknown }))).toEqual({ kind: 'lost', requestId: 'r3' });
  });

  test('a prompt queued or sent here is attached to as it is', () => {
    expect(decideResume(facts({ local: { requestId: 'r4', phase: 'queued', holdsRequest: true, workerSeen: false } }))).toEqual({ kind: 'attach', requestId: 'r4' });
    expect(decideResume(facts({ local: { requestId: 'r4', phase: 'sent', holdsRequest: true, workerSeen: false } }))).toEqual({ kind: 'attach', requestId: 'r4' });
  });

  test('after a reload with no retained status, the stored history names a running turn: ask about it', () => {
    expect(decideResume(facts({ retainedSettled: true, latestStored: { requestId: 'r5', state: 'running' } }))).toEqual({ kind: 'ask', requestId: 'r5' });
    expect(decideResume(facts({ retainedSettled: true, latestStored: { requestId: 'r5', state: 'done' } }))).toEqual({ kind: 'none' });
  });

  test('the worker’s answer wins over a stale retained status', () => {
    const status = { requestId: 'r6', state: 'generating' as const };
    expect(decideResume(facts({ status, lookup: { requestId: 'r6', answer: { state: 'finished', finalState: 'aborted' } } }))).toEqual({ kind: 'stored', requestId: 'r6' });
  });
});
