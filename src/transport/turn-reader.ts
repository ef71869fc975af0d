/**
 * Turns the envelopes of one turn into an ordered, gap-free `ReadableStream` of UI message chunks.
 *
 * Rules (DESIGN.md): drop sequence numbers already delivered, hold chunks after a gap and ask the
 * worker to replay from the first missing one, end on the turn's last chunk. The reader outlives
 * connection drops: while offline it only waits, and back online it asks for what it lacks, inside
 * the stream it already handed out. It never decides from a clock that the turn is over: silence
 * only makes it ask (`onSilence`), and the owner acts on the worker's answer.
 */
import type { UIMessageChunk } from 'ai';
import { FINAL_TURN_STATES, mergeDeltas, type StatusEnvelope, type StreamEnvelope } from './envelope.js';

export interface TurnReaderOptions {
  requestId: string;
  /** First sequence number this reader must deliver (0 for a whole turn). */
  fromSeq: number;
  /** Sequence numbers below this were shown before a drop: replaying them recovers nothing. */
  alreadyShown?: number;
  /** Ms without a chunk or status of a live turn after which the reader asks about it. */
  silenceMs: number;
  /** How long a replay request may stay unanswered before it is sent again. */
  replayRetryMs: number;
  /** Asks the worker for chunks from `fromSeq` on. */
  requestReplay(fromSeq: number): void;
  /**
   * Sends the turn's request again. Called while no worker has shown any sign of the turn (no
   * status, no chunk), after `replayRetryMs` and then at doubling intervals: a request the broker
   * acknowledged can still die with it, or arrive before any worker subscribed again after a
   * restart. Workers drop copies of a request id they already have.
   */
  resendRequest?(): void;
  /** The turn was silent for `silenceMs`: ask the worker whether it still lives. */
  onSilence?(): void;
  /** Called once when the reader ends for any reason; `error` is what a failed reader failed with. */
  onSettled(reader: TurnReader, outcome: 'complete' | 'error' | 'cancel', error?: unknown): void;
}

export class TurnReader {
  readonly requestId: string;
  readonly stream: ReadableStream<UIMessageChunk>;
  /** Chunks that came through replay and had not been shown before (the recovery count). */
  recovered = 0;
  /** Next sequence number to deliver. */
  nextSeq: number;
  duplicates = 0;
  /** A worker has shown the turn (a status or a chunk of it). */
  workerSeen = false;
  private endSeq: number | null = null;
  private readonly pending = new Map<number, { chunk: UIMessageChunk; viaReplay: boolean }>();
  /** What was delivered, text deltas merged: lets a retained `complete` supply exactly the rest. */
  private readonly deliveredMerged: UIMessageChunk[] = [];
  private controller!: ReadableStreamDefaultController<UIMessageChunk>;
  private silenceTimer: ReturnType<typeof setTimeout> | undefined;
  private replayTimer: ReturnType<typeof setTimeout> | undefined;
  private resendTimer: ReturnType<typeof setTimeout> | undefined;
  private paused = false;
  private settled = false;

  constructor(private readonly options: TurnReaderOptions) {
    this.requestId = options.requestId;
    this.nextSeq = options.fromSeq;
    this.stream = new ReadableStream<UIMessageChunk>({
      start: (controller) => {
        this.controller = controller;
      },
      cancel: () => this.settle('cancel'),
    });
    this.armSilence();
    if (options.resendRequest) this.armResend(options.replayRetryMs);
  }

  get isSettled(): boolean {
    return this.settled;
  }

  /** True once the turn's end is known (end flag or final status) but not all of it is delivered. */
  get isCatchingUp(): boolean {
    return !this.settled && this.endSeq !== null && this.nextSeq <= this.endSeq;
  }

  /** Feeds one decoded envelope of this turn (live stream or replay). */
  push(envelope: StreamEnvelope, viaReplay: boolean): void {
    if (this.settled) return;
    this.armSilence();
    this.acknowledged();
    const { seq, chunks } = envelope;
    // An end flag may only end the turn at or after what was already seen: a stale or spoofed
    // duplicate flagged `end` must not cut a live turn short.
    if (envelope.end) {
      const candidate = seq + chunks.length - 1;
      if (candidate >= this.nextSeq - 1 && candidate >= this.highestPending()) this.endSeq = candidate;
    }
    for (let i = 0; i < chunks.length; i++) {
      const chunkSeq = seq + i;
      if (chunkSeq < this.nextSeq || this.pending.has(chunkSeq)) {
        this.duplicates++;
        continue;
      }
      if (chunkSeq === this.nextSeq) this.deliver(chunks[i], viaReplay);
      else this.pending.set(chunkSeq, { chunk: chunks[i], viaReplay });
    }
    this.drainPending();
    this.afterProgress();
  }

  /** Status updates carry the last published sequence: a final one also tells where the turn ends. */
  onStatus(status: StatusEnvelope): void {
    if (this.settled || status.requestId !== this.requestId) return;
    this.armSilence();
    this.acknowledged();
    // Only a final status says where the turn ends; a live one may overtake its own chunks.
    if (FINAL_TURN_STATES.has(status.state) && this.endSeq === null) this.endSeq = status.lastSeq;
    this.afterProgress();
  }

  /** The worker has the turn (its `turn` lookup said live, or a status was seen elsewhere). */
  markWorkerSeen(): void {
    if (!this.settled) this.acknowledged();
  }

  /**
   * Ends the turn from its retained `complete` (the live tail is no longer replayable): delivers
   * exactly what this reader had not delivered yet, then closes.
   */
  finishFrom(completeChunks: readonly UIMessageChunk[]): void {
    if (this.settled) return;
    this.pending.clear();
    const rest = remainderOf(completeChunks, this.deliveredMerged);
    // A turn whose worker died ends with a `complete` of its own ([start, error]): not a continuation
    // of what was delivered, but its error must still reach the consumer.
    const last = completeChunks.at(-1);
    if (last?.type === 'error' && !rest.includes(last) && !this.deliveredMerged.some((c) => c.type === 'error')) rest.push(last);
    for (const chunk of rest) this.deliver(chunk, true);
    this.complete();
  }

  /** Connection down: stop asking (nothing can be sent) and stop counting silence. */
  pause(): void {
    if (this.settled) return;
    this.paused = true;
    clearTimeout(this.silenceTimer);
    clearTimeout(this.replayTimer);
    this.replayTimer = undefined;
  }

  /** The request went out (it was queued offline): count silence again and repair gaps. */
  unpause(): void {
    if (this.settled || !this.paused) return;
    this.paused = false;
    this.armSilence();
    if (this.hasGap()) this.scheduleReplay(false);
  }

  /** Connection back: ask for everything from `nextSeq` (also used when joining a live turn). */
  requestCatchUp(): void {
    if (this.settled) return;
    this.paused = false;
    this.armSilence();
    this.scheduleReplay(true);
  }

  /** Ends the stream with an error (a turn failure, or a network error after the reconnect grace). */
  fail(error: unknown): void {
    if (this.settled) return;
    this.settle('error', error);
    try {
      this.controller.error(error);
    } catch {
      // already closed by the consumer
    }
  }

  /** Ends the stream normally without further chunks (consumer aborted). */
  close(): void {
    if (this.settled) return;
    this.settle('cancel');
    try {
      this.controller.close();
    } catch {
      // already closed
    }
  }

  private deliver(chunk: UIMessageChunk, viaReplay: boolean): void {
    this.controller.enqueue(chunk);
    if (viaReplay && this.nextSeq >= (this.options.alreadyShown ?? 0)) this.recovered++;
    this.nextSeq++;
    const last = this.deliveredMerged.at(-1);
    const merged = last ? mergeDeltas([last, chunk]) : [chunk];
    if (last && merged.length === 1) this.deliveredMerged[this.deliveredMerged.length - 1] = merged[0];
    else this.deliveredMerged.push(chunk);
  }

  private drainPending(): void {
    let held;
    while ((held = this.pending.get(this.nextSeq))) {
      this.pending.delete(this.nextSeq);
      this.deliver(held.chunk, held.viaReplay);
    }
  }

  private afterProgress(): void {
    if (this.endSeq !== null && this.nextSeq > this.endSeq) return this.complete();
    if (this.hasGap()) this.scheduleReplay(false);
    else {
      clearTimeout(this.replayTimer);
      this.replayTimer = undefined;
    }
  }

  private complete(): void {
    this.settle('complete');
    try {
      this.controller.close();
    } catch {
      // consumer already cancelled
    }
  }

  /** One outstanding replay request at a time; re-sent while the gap persists. */
  private scheduleReplay(immediate: boolean): void {
    if (this.settled || this.paused || (this.replayTimer && !immediate)) return;
    clearTimeout(this.replayTimer);
    this.options.requestReplay(this.nextSeq);
    this.replayTimer = setTimeout(() => {
      this.replayTimer = undefined;
      if (this.hasGap()) this.scheduleReplay(false);
    }, this.options.replayRetryMs);
  }

  private highestPending(): number {
    let highest = -1;
    for (const seq of this.pending.keys()) if (seq > highest) highest = seq;
    return highest;
  }

  private hasGap(): boolean {
    return this.pending.size > 0 || (this.endSeq !== null && this.nextSeq <= this.endSeq);
  }

  /** A worker has the turn: no more copies of the request. */
  private acknowledged(): void {
    this.workerSeen = true;
    clearTimeout(this.resendTimer);
    this.resendTimer = undefined;
  }

  private armResend(delayMs: number): void {
    this.resendTimer = setTimeout(() => {
      if (this.settled || this.workerSeen) return;
      if (!this.paused) this.options.resendRequest?.();
      this.armResend(Math.min(delayMs * 2, this.options.silenceMs));
    }, delayMs);
  }

  /** Silence makes the reader ask, again after every further `silenceMs`; it never ends the turn. */
  private armSilence(): void {
    clearTimeout(this.silenceTimer);
    if (this.paused || this.settled) return;
    this.silenceTimer = setTimeout(() => {
      this.options.onSilence?.();
      this.armSilence();
    }, this.options.silenceMs);
  }

  private settle(outcome: 'complete' | 'error' | 'cancel', error?: unknown): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.silenceTimer);
    clearTimeout(this.replayTimer);
    clearTimeout(this.resendTimer);
    this.pending.clear();
    this.options.onSettled(this, outcome, error);
  }
}

/**
 * The chunks of a finished turn (`complete`, deltas merged) that come after what was delivered
 * (also merged the same way). Merging is deterministic, so the delivered list is a prefix of the
 * complete one except that its last text delta may be the start of the complete's.
 */
export function remainderOf(complete: readonly UIMessageChunk[], delivered: readonly UIMessageChunk[]): UIMessageChunk[] {
  if (delivered.length === 0) return [...complete];
  const lastIndex = delivered.length - 1;
  const last = delivered[lastIndex];
  const counterpart = complete[lastIndex];
  const rest = complete.slice(lastIndex + 1);
  if (
    counterpart &&
    (last.type === 'text-delta' || last.type === 'reasoning-delta') &&
    counterpart.type === last.type &&
    counterpart.id === last.id &&
    counterpart.delta.length > last.delta.length &&
    counterpart.delta.startsWith(last.delta)
  ) {
    return [{ ...counterpart, delta: counterpart.delta.slice(last.delta.length) }, ...rest];
  }
  return rest;
}
