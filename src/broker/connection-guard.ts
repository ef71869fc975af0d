/**
 * The stream between one client socket (TCP, or the WebSocket adapter) and Aedes. It enforces
 * the two budgets Aedes cannot: Aedes' parser buffers a whole packet, up to the 256 MB MQTT
 * allows, before anyone checks it, and Aedes waits (up to 60 s, holding one of its 100 delivery
 * slots) for any socket that stops reading.
 *
 * - Inbound, it reads each packet's fixed header as bytes arrive and closes the socket as soon
 *   as a packet *announces* more than the budget: before authentication the whole CONNECT must
 *   fit `maxBytesBeforeConnect`, after it each packet must fit the principal's packet size.
 * - Outbound, it accepts writes at once while the bytes really waiting in the socket stay under
 *   the budget, and drops the connection past it: a client that stops reading costs at most its
 *   budget and never makes a publisher wait.
 */
import { Duplex } from 'node:stream';

/** Why a guarded connection was closed. */
export type GuardViolation = 'bytes-before-connect' | 'packet-too-large' | 'outbound-overflow';

/** How the broker tells the guard about the connection's principal and its budgets. */
export interface ConnectionGuardOptions {
  /** Which listener the socket came through. */
  transport: 'tcp' | 'websocket';
  /** Bytes allowed before {@link packetLimit} returns a number (i.e. before authentication). */
  maxBytesBeforeConnect: number;
  /** The principal's largest packet in bytes, or undefined while it has not authenticated. */
  packetLimit: () => number | undefined;
  /** The principal's outbound budget in bytes. */
  outboundLimit: () => number;
  /** Bytes written and not yet taken by the network (the inner stream's own queue included). */
  bufferedBytes: () => number;
  /** Called once when the guard closes the connection. */
  onViolation: (violation: GuardViolation, detail: string) => void;
  /**
   * Charges `bytes` received to the principal's inbound budget; returns how many ms to stop
   * reading this connection (0 within the budget). Absent: no inbound budget.
   */
  inboundDelay?: (bytes: number) => number;
}

type HeaderState = { phase: 'type' } | { phase: 'length'; value: number; multiplier: number; headerBytes: number } | { phase: 'body'; remaining: number };

/** A Duplex over the client's socket that Aedes handles in place of the socket. */
export class ConnectionGuard extends Duplex {
  /** Set by Aedes (`conn.client = client`); the guard reads nothing from it. */
  client?: unknown;
  private state: HeaderState = { phase: 'type' };
  private bytesBeforeConnect = 0;
  private violated = false;
  /** Reading is paused until the principal's inbound budget has refilled. */
  private throttled = false;

  constructor(
    private readonly inner: Duplex,
    private readonly options: ConnectionGuardOptions,
  ) {
    super({ allowHalfOpen: false });
    inner.on('data', (chunk: Buffer) => {
      if (this.violated || !this.inspect(chunk)) return;
      const wait = this.options.inboundDelay?.(chunk.length) ?? 0;
      if (!this.push(chunk) || wait > 0) inner.pause();
      if (wait > 0 && !this.throttled) {
        this.throttled = true;
        setTimeout(() => {
          this.throttled = false;
          if (!this.destroyed) inner.resume();
        }, wait).unref();
      }
    });
    inner.on('end', () => this.push(null));
    inner.on('close', () => this.destroy());
    inner.on('error', (error) => this.destroy(error));
  }

  /** The listener the connection came through. */
  get transport(): 'tcp' | 'websocket' {
    return this.options.transport;
  }

  override _read(): void {
    if (!this.throttled) this.inner.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.forward(chunk, callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    // Aedes writes one packet in several pieces inside a cork; one write keeps them one segment.
    this.forward(chunks.length === 1 ? chunks[0].chunk : Buffer.concat(chunks.map(({ chunk }) => chunk)), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.inner.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.inner.destroy();
    callback(error);
  }

  private forward(chunk: Buffer, callback: (error?: Error | null) => void): void {
    const buffered = this.options.bufferedBytes();
    const limit = this.options.outboundLimit();
    if (buffered > 0 && buffered + chunk.length > limit) {
      // Never make the broker wait on this socket: drop it, and let the write "succeed" so no
      // publisher's delivery slot is held by a client that is going away anyway.
      this.violate('outbound-overflow', `${buffered + chunk.length} bytes waiting to be sent, budget ${limit}`);
      callback();
      return;
    }
    this.inner.write(chunk);
    callback();
  }

  /** Walks the fixed headers in `chunk`; false when the connection was closed for a violation. */
  private inspect(chunk: Buffer): boolean {
    const limit = this.options.packetLimit();
    if (limit === undefined) {
      this.bytesBeforeConnect += chunk.length;
      if (this.bytesBeforeConnect > this.options.maxBytesBeforeConnect) {
        return this.violate('bytes-before-connect', `${this.bytesBeforeConnect} bytes before authentication, budget ${this.options.maxBytesBeforeConnect}`);
      }
    }
    let offset = 0;
    while (offset < chunk.length) {
      const state = this.state;
      if (state.phase === 'body') {
        const taken = Math.min(state.remaining, chunk.length - offset);
        offset += taken;
        state.remaining -= taken;
        if (state.remaining === 0) this.state = { phase: 'type' };
        continue;
      }
      if (state.phase === 'type') {
        offset++;
        this.state = { phase: 'length', value: 0, multiplier: 1, headerBytes: 1 };
        continue;
      }
      const byte = chunk[offset++];
      state.value += (byte & 0x7f) * state.multiplier;
      state.multiplier *= 128;
      state.headerBytes++;
      if (byte & 0x80) {
        // A fifth length byte is malformed; Aedes' parser reports it, the guard only stops reading.
        if (state.headerBytes > 5) return this.violate('packet-too-large', 'malformed remaining length');
        continue;
      }
      const size = state.headerBytes + state.value;
      const budget = limit ?? this.options.maxBytesBeforeConnect - (this.bytesBeforeConnect - chunk.length + offset - state.headerBytes);
      if (size > budget) return this.violate(limit === undefined ? 'bytes-before-connect' : 'packet-too-large', `packet of ${size} bytes announced, budget ${budget}`);
      this.state = state.value === 0 ? { phase: 'type' } : { phase: 'body', remaining: state.value };
    }
    return true;
  }

  private violate(violation: GuardViolation, detail: string): false {
    if (!this.violated) {
      this.violated = true;
      this.options.onViolation(violation, detail);
      this.destroy();
    }
    return false;
  }
}
