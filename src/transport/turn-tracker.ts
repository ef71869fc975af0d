/**
 * Follows the turns of one transport: gives each record of the {@link TurnRegistry} its reader,
 * keeps the reader alive through connection drops (inside the stream it handed out, up to
 * `reconnectGrace`), routes chunks and retained state to it by request id, asks the worker about a
 * turn when its state is missing or silent, and acts on the answer. The transport decides what to
 * send and what to resume (resume-decision.ts); this class carries it out for each turn.
 */
import type { UIMessageChunk } from 'ai';
import type { ChatSubscription } from './chat-subscription.js';
import { INITIAL_CHAT_ACTIVITY, type RecoverySnapshot } from './chat-activity.js';
import type { TurnLookup } from './conversation.js';
import { FINAL_TURN_STATES, type CompleteEnvelope, type StatusEnvelope, type StreamEnvelope } from './envelope.js';
import { createNetworkError, StreamTimeoutError, TurnLostError } from './errors.js';
import { isOpenPhase } from './turn-lifecycle.js';
import { TurnReader } from './turn-reader.js';
import { TurnRegistry, type TurnRecord } from './turn-registry.js';

/** What the tracker needs from its transport. */
export interface TurnTrackerContext {
  /** Ms of silence before a lookup, and between reader retries; see the transport's options. */
  streamTimeout: number;
  replayRetryMs: number;
  reconnectGrace: number;
  subscription(chatId: string): ChatSubscription;
  clientId(): string;
  connected(): boolean;
  /** Asks the worker a `turn` query. */
  lookup(chatId: string, requestId: string, signal: AbortSignal): Promise<TurnLookup>;
  /** Publishes the record's request again (workers dedupe by request id). */
  resend(record: TurnRecord): void;
  removeFromOutbox(requestId: string): void;
  /** Brings the chat's stored conversation up to date (a finished answer whose `complete` is gone). */
  syncConversation(chatId: string): void;
  /**
   * Asks the broker for the chat's retained `complete` again and resolves once it certainly came
   * if it exists (a round trip after the SUBACK).
   */
  refetchComplete(chatId: string, requestId: string): Promise<void>;
  countRecovered(chunks: number): void;
  /** A record changed: the chat's activity store must show it. */
  onChange(chatId: string): void;
}

const NO_RECOVERY: RecoverySnapshot = INITIAL_CHAT_ACTIVITY.recovery;

export class TurnTracker {
  readonly registry: TurnRegistry;
  /** Recovery facts of each chat's latest turn; they outlive the turn's record. */
  private readonly recoveries = new Map<string, RecoverySnapshot>();

  constructor(private readonly context: TurnTrackerContext) {
    this.registry = new TurnRegistry((record) => this.onRecordChange(record));
  }

  /** The recovery facts of a chat's latest turn. */
  recoveryOf(chatId: string): RecoverySnapshot {
    return this.recoveries.get(chatId) ?? NO_RECOVERY;
  }

  /** A finished turn delivered from its retained `complete`: remembered, and counted as a recovery. */
  deliveredFromComplete(chatId: string, complete: CompleteEnvelope): void {
    this.registry.remember(complete.requestId);
    this.recoveries.set(chatId, { ...this.recoveryOf(chatId), resuming: false, recoveredChunks: complete.chunks.length, lastRecoveredAt: Date.now() });
    this.context.onChange(chatId);
  }

  /** A retained or live status of a chat: the turn it names learns where it stands. */
  onStatus(status: StatusEnvelope): void {
    const record = this.registry.get(status.requestId);
    if (!record) return;
    this.workerSeen(record);
    record.reader?.onStatus(status);
    if (FINAL_TURN_STATES.has(status.state) && record.reader?.isCatchingUp) this.registry.transition(record, { type: 'end-known' });
  }

  /** A finished turn's every chunk: whatever this page still lacks of it is here. */
  onComplete(complete: CompleteEnvelope): void {
    const record = this.registry.get(complete.requestId);
    if (!record?.reader) return;
    this.workerSeen(record);
    record.reader.finishFrom(complete.chunks);
  }

  /** Ends every reader (the transport closed). */
  close(): void {
    for (const record of this.registry.all()) {
      clearTimeout(record.graceTimer);
      record.reader?.close();
    }
  }

  /** The connection dropped: every turn on the wire waits, inside its stream, for it to come back. */
  onLost(reason: string): void {
    for (const record of this.registry.all()) {
      if (record.phase === 'queued') continue;
      record.droppedAt = Date.now();
      record.reader?.pause();
      this.registry.transition(record, { type: 'connection-lost' });
      clearTimeout(record.graceTimer);
      // Inside the stream until the grace ends; then `useChat` sees the resumable network error.
      record.graceTimer = setTimeout(() => {
        const reader = record.reader;
        if (record.phase !== 'interrupted' || !reader) return;
        record.shown = reader.nextSeq;
        reader.fail(createNetworkError(reason));
      }, this.context.reconnectGrace);
    }
  }

  /** Back online under an interrupted turn: ask for what this page lacks, and ask whether it lives. */
  async catchUp(record: TurnRecord): Promise<void> {
    clearTimeout(record.graceTimer);
    this.registry.transition(record, { type: 'connection-back' });
    if (!record.reader) return; // the consumer resumes it through `reconnectToStream`
    await this.context.subscription(record.chatId).ready();
    if (!record.reader || !isOpenPhase(record.phase)) return;
    record.reader.requestCatchUp();
    this.askTurn(record);
  }

  /** Gives the record a new reader (replacing one the consumer no longer reads) and returns its stream. */
  handOut(record: TurnRecord, alreadyShown: number, abortSignal: AbortSignal | undefined): ReadableStream<UIMessageChunk> {
    const reader = this.attachReader(record, alreadyShown);
    abortSignal?.addEventListener('abort', () => void this.abortTurn(record), { once: true });
    return reader.stream;
  }

  attachReader(record: TurnRecord, alreadyShown: number): TurnReader {
    const previous = record.reader;
    record.reader = null;
    previous?.close();
    record.release ??= this.context.subscription(record.chatId).acquire();
    const subscription = this.context.subscription(record.chatId);
    const reader: TurnReader = new TurnReader({
      requestId: record.requestId,
      fromSeq: 0,
      alreadyShown,
      silenceMs: this.context.streamTimeout,
      replayRetryMs: this.context.replayRetryMs,
      requestReplay: (from) => void subscription.publishControl({ op: 'replay', requestId: record.requestId, fromSeq: from, clientId: this.context.clientId() }),
      resendRequest: record.request ? () => this.context.resend(record) : undefined,
      onSilence: () => this.onSilence(record),
      onSettled: (settled, outcome, error) => this.onReaderSettled(record, settled, outcome, error),
    });
    if (record.workerSeen) reader.markWorkerSeen();
    if (record.phase === 'queued' || record.phase === 'interrupted') reader.pause();
    record.reader = reader;
    return reader;
  }

  private onReaderSettled(record: TurnRecord, reader: TurnReader, outcome: 'complete' | 'error' | 'cancel', error: unknown): void {
    if (record.reader !== reader) return; // replaced by a newer reader of the same turn
    if (reader.recovered > 0 || record.droppedAt !== null) {
      this.context.countRecovered(reader.recovered);
      record.recovered = reader.recovered;
      record.lastRecoveredAt = Date.now();
    }
    if (outcome === 'error' && error instanceof TypeError && record.phase === 'interrupted') {
      // The grace ended offline: the consumer may resume later; the record stays.
      record.reader = null;
      record.release?.();
      record.release = null;
      this.registry.touch(record);
      return;
    }
    record.reader = null;
    // A reader the consumer let go of (a page going away) leaves its prompt queued; stop removes it.
    if (record.request && outcome !== 'cancel') this.context.removeFromOutbox(record.requestId);
    const event = outcome === 'complete' ? 'end-delivered' : outcome === 'cancel' ? 'cancelled' : 'failed';
    this.registry.transition(record, { type: event });
  }

  /** A worker showed the turn: it is no longer ours to send. */
  private workerSeen(record: TurnRecord): void {
    record.reader?.markWorkerSeen();
    if (record.workerSeen) return;
    record.workerSeen = true;
    if (record.request) {
      this.context.removeFromOutbox(record.requestId);
      record.request = null;
    }
    this.registry.transition(record, { type: 'worker-seen' });
  }

  /** The turn was silent for `streamTimeout`: ask; silent again with no answer at all, give up. */
  private onSilence(record: TurnRecord): void {
    if (!this.context.connected() || !record.reader) return;
    if (record.lookup) {
      record.reader.fail(new StreamTimeoutError(this.context.streamTimeout));
      return;
    }
    this.askTurn(record);
  }

  private askTurn(record: TurnRecord): void {
    if (record.lookup || !isOpenPhase(record.phase)) return;
    const lookup = new AbortController();
    record.lookup = lookup;
    this.context.lookup(record.chatId, record.requestId, lookup.signal).then(
      (answer) => {
        if (record.lookup === lookup) record.lookup = null;
        this.applyLookup(record, answer);
      },
      () => {
        if (record.lookup === lookup) record.lookup = null;
      },
    );
  }

  /** Acts on the worker's explicit answer about a turn this page reads. */
  private applyLookup(record: TurnRecord, answer: TurnLookup): void {
    const reader = record.reader;
    if (!reader || !isOpenPhase(record.phase)) return;
    const subscription = this.context.subscription(record.chatId);
    if (answer.state === 'live') {
      this.workerSeen(record);
      // lastSeq -1: the runner is alive but its progress is not known here; ask for everything after ours.
      if (answer.lastSeq < 0 || reader.nextSeq <= answer.lastSeq) reader.requestCatchUp();
      else this.registry.transition(record, { type: 'caught-up' });
      return;
    }
    if (answer.state === 'finished') {
      subscription.applyLookup(record.requestId, answer.finalState, answer.error ?? null);
      const complete = subscription.complete;
      if (complete?.requestId === record.requestId) return reader.finishFrom(complete.chunks);
      // The answer may have overtaken the retained `complete` (a busy broker sends retained
      // messages late): ask the broker for it before deciding that it is gone. Ending the stream
      // here cut answers short under load (chaos scenario 1 under the CPU hog).
      void this.context.refetchComplete(record.chatId, record.requestId).then(() => {
        if (record.reader !== reader || reader.isSettled) return;
        const retained = this.context.subscription(record.chatId).complete;
        if (retained?.requestId === record.requestId) return reader.finishFrom(retained.chunks);
        // The retained `complete` is gone: the stored answer replaces the partial one with the history.
        reader.finishFrom([]);
        this.context.syncConversation(record.chatId);
      });
      return;
    }
    if (record.request && !record.workerSeen) this.context.resend(record);
    else reader.fail(new TurnLostError(record.requestId));
  }

  async abortTurn(record: TurnRecord): Promise<void> {
    if (!isOpenPhase(record.phase)) return;
    const queued = record.phase === 'queued';
    if (record.request) this.context.removeFromOutbox(record.requestId);
    record.reader?.close();
    if (!record.reader) this.registry.transition(record, { type: 'cancelled' });
    // Stop reaches the model: the worker aborts its call and publishes `aborted` to every device.
    if (!queued) await this.context.subscription(record.chatId).publishControl({ op: 'abort', requestId: record.requestId });
  }

  routeChunks(envelope: StreamEnvelope, viaReplay: boolean): 'delivered' | 'duplicate' | 'foreign' {
    const record = this.registry.get(envelope.requestId);
    const reader = record?.reader;
    if (!record || !reader) return 'foreign';
    this.workerSeen(record);
    const before = reader.duplicates;
    reader.push(envelope, viaReplay);
    // A live envelope delivered in order while catching up: this page is level with the worker.
    if (!viaReplay && record.phase === 'catching-up' && !reader.isSettled && reader.duplicates === before && !reader.isCatchingUp) {
      this.registry.transition(record, { type: 'caught-up' });
    }
    return reader.duplicates > before ? 'duplicate' : 'delivered';
  }

  private onRecordChange(record: TurnRecord): void {
    const previous = this.recoveryOf(record.chatId);
    const recovery: RecoverySnapshot = {
      resuming: record.phase === 'catching-up' && record.reader !== null,
      recoveredChunks: record.recovered || previous.recoveredChunks,
      lastRecoveredAt: record.lastRecoveredAt ?? previous.lastRecoveredAt,
      droppedAt: record.droppedAt ?? previous.droppedAt,
    };
    if (!sameRecovery(previous, recovery)) this.recoveries.set(record.chatId, recovery);
    this.context.onChange(record.chatId);
  }
}

/** Equal recovery facts (keeps the activity store's `recovery` object while nothing changed). */
export function sameRecovery(a: RecoverySnapshot, b: RecoverySnapshot): boolean {
  return a.resuming === b.resuming && a.recoveredChunks === b.recoveredChunks && a.lastRecoveredAt === b.lastRecoveredAt && a.droppedAt === b.droppedAt;
}
