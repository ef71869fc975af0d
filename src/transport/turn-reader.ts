/**
 * Turns the envelopes of one turn into an ordered, gap-free `ReadableStream` of UI message chunks.
 *
 * Rules (DESIGN.md): drop other request ids (the channel routes by id), drop sequence numbers
 * already delivered, hold chunks after a gap and ask the worker to replay from the first missing
 * one, end on the turn's last chunk. Silence longer than `streamTimeout` is a dead worker.
 */
import type { UIMessageChunk } from 'ai';
import { FINAL_TURN_STATES, type StatusEnvelope, type StreamEnvelope } from './envelope.js';
import { StreamTimeoutError } from './errors.js';

export interface TurnReaderOptions {
  requestId: string;
  /** First sequence number this reader must deliver (0 for a whole turn). */
  fromSeq: number;
  /** Sequence numbers below this were shown before a drop: replaying them recovers nothing. */
  alreadyShown?: number;
  streamTimeout: number;
  /** How long a replay request may stay unanswered before it is sent again. */
  replayRetryMs: number;
  /** Asks the worker for chunks from `fromSeq` on. */
  requestReplay(fromSeq: number): void;
  /**
   * Sends the turn's request again. Called while no worker has shown any sign of the turn (no
   * status, no chunk), after `replayRetryMs` and then at doubling intervals: a request the broker
   * acknowledged can still die with it, or arrive before any worker has subscribed again after a
   * restart. Workers drop copies of a request id they already have.
   */
  resendRequest?(): void;
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
  private endSeq: number | null = null;
  private readonly pending = new Map<number, { chunk: UIMessageChunk; viaReplay: boolean }>();
  private controller!: ReadableStreamDefaultController<UIMessageChunk>;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private replayTimer: ReturnType<typeof setTimeout> | undefined;
  private resendTimer: ReturnType<typeof setTimeout> | undefined;
  /** A worker has shown the turn (a status or a chunk of it). */
  private seenWorker = false;
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
    this.armIdleTimer();
    if (options.resendRequest) this.armResend(options.replayRetryMs);
  }

  get isSettled(): boolean {
    return this.settled;
  }

  /** Feeds one decoded envelope of this turn (live stream or replay). */
  push(envelope: StreamEnvelope, viaReplay: boolean): void {
    if (this.settled) return;
    this.armIdleTimer();
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
      if (chunkSeq === this.nextSeq) {
        this.deliver(chunks[i], viaReplay);
      } else {
        this.pending.set(chunkSeq, { chunk: chunks[i], viaReplay });
      }
    }
    this.drainPending();
    this.afterProgress();
  }

  /** Status updates carry the last published sequence: a final one also tells where the turn ends. */
  onStatus(status: StatusEnvelope): void {
    if (this.settled || status.requestId !== this.requestId) return;
    this.armIdleTimer();
    this.acknowledged();
    // Only a final status says where the turn ends; a live one may overtake its own chunks.
    if (FINAL_TURN_STATES.has(status.state) && this.endSeq === null) this.endSeq = status.lastSeq;
    this.afterProgress();
  }

  /** Ends the stream with an error (network loss, timeout, turn failure). */
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

  /** Asks for everything from `nextSeq` now: used when (re)joining a live turn. */
  requestCatchUp(): void {
    this.scheduleReplay(true);
  }

  private deliver(chunk: UIMessageChunk, viaReplay: boolean): void {
    this.controller.enqueue(chunk);
    if (viaReplay && this.nextSeq >= (this.options.alreadyShown ?? 0)) this.recovered++;
    this.nextSeq++;
  }

  private drainPending(): void {
    let held;
    while ((held = this.pending.get(this.nextSeq))) {
      this.pending.delete(this.nextSeq);
      this.deliver(held.chunk, held.viaReplay);
    }
  }

  private afterProgress(): void {
    if (this.endSeq !== null && this.nextSeq > this.endSeq) {
      this.settle('complete');
      try {
        this.controller.close();
      } catch {
        // consumer already cancelled
      }
      return;
    }
    if (this.hasGap()) this.scheduleReplay(false);
    else {
      clearTimeout(this.replayTimer);
      this.replayTimer = undefined;
    }
  }

  /** One outstanding replay request at a time; re-sent while the gap persists. */
  private scheduleReplay(immediate: boolean): void {
    if (this.settled || (this.replayTimer && !immediate)) return;
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
    this.seenWorker = true;
    clearTimeout(this.resendTimer);
    this.resendTimer = undefined;
  }

  private armResend(delayMs: number): void {
    this.resendTimer = setTimeout(() => {
      if (this.settled || this.seenWorker) return;
      this.options.resendRequest?.();
      this.armResend(Math.min(delayMs * 2, this.options.streamTimeout));
    }, delayMs);
  }

  private armIdleTimer(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.fail(new StreamTimeoutError(this.options.streamTimeout)), this.options.streamTimeout);
  }

  private settle(outcome: 'complete' | 'error' | 'cancel', error?: unknown): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.idleTimer);
    clearTimeout(this.replayTimer);
    clearTimeout(this.resendTimer);
    this.pending.clear();
    this.options.onSettled(this, outcome, error);
  }
}
