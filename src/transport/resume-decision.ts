/**
 * What to do when a page (re)joins a chat's turn: after a reload, on a second device, after a
 * drop, or when `useChat` asks `reconnectToStream`. Pure: it decides from facts the transport
 * gathered and never from a clock. When a fact it needs is missing (the retained status did not
 * come, or came for another turn), the answer is to ask the worker and decide again with its reply.
 */
import type { TurnLookup, StoredTurnState } from './conversation.js';
import { FINAL_TURN_STATES, type TurnState } from './envelope.js';
import { isOpenPhase, type TurnPhase } from './turn-lifecycle.js';

/** Everything the decision may use. Absent facts are `null`, never guessed. */
export interface ResumeFacts {
  /** The turn this page follows on the chat (its newest record), if any. */
  local: { requestId: string; phase: TurnPhase; holdsRequest: boolean; workerSeen: boolean } | null;
  /** The chat's retained status, once it arrived. */
  status: { requestId: string; state: TurnState } | null;
  /** The request id of the chat's retained `complete`, once it arrived. */
  completeOf: string | null;
  /** The worker's answer to a `turn` query about the target turn. */
  lookup: { requestId: string; answer: TurnLookup } | null;
  /** The newest turn the stored history names (once hydrated). */
  latestStored: { requestId: string; state: StoredTurnState } | null;
  /**
   * The retained messages of the chat have certainly arrived: a query answered after the
   * subscription was acknowledged (the broker sends retained messages first).
   */
  retainedSettled: boolean;
  /** True when this page already delivered the turn to the end: resuming it would duplicate it. */
  delivered(requestId: string): boolean;
}

export type ResumeAction =
  /** Nothing to follow. */
  | { kind: 'none' }
  /** A turn of this page that has its own reader (queued or sent): hand out its stream. */
  | { kind: 'attach'; requestId: string }
  /** The turn is live: read it, replaying what this page lacks. */
  | { kind: 'replay'; requestId: string }
  /** The turn ended and its retained `complete` is here: deliver it. */
  | { kind: 'complete'; requestId: string }
  /** The turn ended but its `complete` is gone: its answer comes from the stored history. */
  | { kind: 'stored'; requestId: string }
  /** Ask the worker about `requestId` (a `turn` query), or, with null, settle the retained state first. */
  | { kind: 'ask'; requestId: string | null }
  /** No worker knows the turn and this page holds its request: send it again (workers dedupe by id). */
  | { kind: 'resend'; requestId: string }
  /** No worker knows the turn and nobody can send it again. */
  | { kind: 'lost'; requestId: string };

const isLive = (state: TurnState) => !FINAL_TURN_STATES.has(state);

/** Decides the next step; call again with the answer whenever the result is `ask`. */
export function decideResume(facts: ResumeFacts): ResumeAction {
  const { local, status, lookup } = facts;
  const localOpen = local !== null && isOpenPhase(local.phase);
  if (localOpen && (local.phase === 'queued' || local.phase === 'sent')) return { kind: 'attach', requestId: local.requestId };

  const target =
    (localOpen ? local.requestId : null) ??
    status?.requestId ??
    (facts.latestStored?.state === 'running' ? facts.latestStored.requestId : null);
  if (target === null) return facts.retainedSettled ? { kind: 'none' } : { kind: 'ask', requestId: null };
  if (facts.delivered(target)) return { kind: 'none' };

  // The worker's explicit answer is the newest fact there is; the retained state comes next.
  const answer = lookup?.requestId === target ? lookup.answer : null;
  if (answer?.state === 'live') return { kind: 'replay', requestId: target };
  if (answer?.state === 'finished') return facts.completeOf === target ? { kind: 'complete', requestId: target } : { kind: 'stored', requestId: target };
  if (answer?.state === 'unknown') {
    return localOpen && local.holdsRequest && !local.workerSeen ? { kind: 'resend', requestId: target } : { kind: 'lost', requestId: target };
  }
  if (status?.requestId === target) {
    if (isLive(status.state)) return { kind: 'replay', requestId: target };
    if (facts.completeOf === target) return { kind: 'complete', requestId: target };
  }
  return { kind: 'ask', requestId: target };
}
