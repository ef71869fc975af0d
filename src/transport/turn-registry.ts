/**
 * The one client-side home of a turn: one record per request id, holding its phase (see
 * turn-lifecycle.ts), its reader, the request this page may have to send again, and its recovery
 * facts. Records of settled turns leave; how each settled here is remembered (bounded): a later
 * resume never delivers a turn twice, and a stale retained status never outlives a turn this page
 * knows has ended.
 */
import type { OutboxEntry } from './outbox.js';
import { isOpenPhase, nextTurnPhase, type TurnEvent, type TurnPhase } from './turn-lifecycle.js';
import type { TurnReader } from './turn-reader.js';

/** How many settled turn ids are remembered: only a chat's latest turns can come back. */
const SETTLED_KEPT = 1_000;

/** How a turn ended on this page: its last phase. */
export type TurnOutcome = 'delivered' | 'failed' | 'cancelled';

export interface TurnRecord {
  readonly requestId: string;
  readonly chatId: string;
  phase: TurnPhase;
  /** This page sent (or queued) the turn. */
  readonly startedHere: boolean;
  /** The request, while this page may have to send it again (until a worker shows the turn). */
  request: OutboxEntry | null;
  /** The stream handed to the consumer; null while none is attached (not resumed yet). */
  reader: TurnReader | null;
  /** A worker has shown the turn. */
  workerSeen: boolean;
  /** Chunks the consumer had seen when its last reader ended with the connection. */
  shown: number;
  /** When the connection last dropped under this turn (ms since epoch). */
  droppedAt: number | null;
  /** Chunks recovered by the last recovery, and when it finished. */
  recovered: number;
  lastRecoveredAt: number | null;
  /** Releases the chat subscription the turn holds while it is open. */
  release: (() => void) | null;
  /** The `turn` query asked about this turn and not answered yet (aborted when the turn settles). */
  lookup: AbortController | null;
  /** Ends the stream as a resumable network error if the connection stays away (`reconnectGrace`). */
  graceTimer: ReturnType<typeof setTimeout> | undefined;
}

export type RecordListener = (record: TurnRecord) => void;

export class TurnRegistry {
  private readonly records = new Map<string, TurnRecord>();
  private readonly outcomes = new Map<string, TurnOutcome>();

  constructor(private readonly onChange: RecordListener) {}

  get(requestId: string): TurnRecord | undefined {
    return this.records.get(requestId);
  }

  /** Creates the record of a turn (idempotent: an existing record is returned as it is). */
  open(init: Pick<TurnRecord, 'requestId' | 'chatId' | 'phase' | 'startedHere'> & Partial<TurnRecord>): TurnRecord {
    const existing = this.records.get(init.requestId);
    if (existing) return existing;
    const record: TurnRecord = {
      request: null,
      reader: null,
      workerSeen: false,
      shown: 0,
      droppedAt: null,
      recovered: 0,
      lastRecoveredAt: null,
      release: null,
      lookup: null,
      graceTimer: undefined,
      ...init,
    };
    this.records.set(record.requestId, record);
    this.onChange(record);
    return record;
  }

  /** Applies an event; a record whose turn settled leaves the registry (its release is called). */
  transition(record: TurnRecord, event: TurnEvent): void {
    const phase = nextTurnPhase(record.phase, event);
    if (phase === record.phase) return;
    record.phase = phase;
    if (!isOpenPhase(phase)) {
      this.settle(record.requestId, phase as TurnOutcome);
      if (this.records.get(record.requestId) === record) this.records.delete(record.requestId);
      record.release?.();
      record.release = null;
      record.lookup?.abort();
      record.lookup = null;
      clearTimeout(record.graceTimer);
    }
    this.onChange(record);
  }

  /** Tells listeners about a change of a record's facts (not its phase). */
  touch(record: TurnRecord): void {
    this.onChange(record);
  }

  /** The newest open record of a chat (insertion order is start order). */
  latestOpen(chatId: string): TurnRecord | null {
    let latest: TurnRecord | null = null;
    for (const record of this.records.values()) if (record.chatId === chatId) latest = record;
    return latest;
  }

  /** Every open record (a snapshot: callers may transition records while iterating). */
  all(): TurnRecord[] {
    return [...this.records.values()];
  }

  isDelivered(requestId: string): boolean {
    return this.outcomes.get(requestId) === 'delivered';
  }

  /** How a turn without an open record ended here; undefined if it is open or unknown here. */
  outcomeOf(requestId: string): TurnOutcome | undefined {
    return this.records.has(requestId) ? undefined : this.outcomes.get(requestId);
  }

  /** Remembers a turn delivered here (from its `complete`, or its stored answer). */
  remember(requestId: string): void {
    this.settle(requestId, 'delivered');
  }

  /** Remembers how a turn ended, keeping the most recent {@link SETTLED_KEPT}. */
  private settle(requestId: string, outcome: TurnOutcome): void {
    this.outcomes.delete(requestId);
    this.outcomes.set(requestId, outcome);
    if (this.outcomes.size > SETTLED_KEPT) this.outcomes.delete(this.outcomes.keys().next().value as string);
  }
}
