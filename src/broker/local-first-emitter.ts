/**
 * Rewires an `mqemitter-redis` emitter so that a node delivers its own publishes at once and
 * sends through Redis only for the other nodes.
 *
 * `mqemitter-redis` sends every message to Redis and delivers it, local subscribers included, only
 * when it comes back, with msgpack, an id and an LRU cache on each message. A 2-node cluster then
 * cost about twice the CPU per token of one node, so two nodes held no more chats than one (the
 * capacity and scale-out benchmarks). Here:
 *
 * - a publish goes to the node's own listeners first, as on a single node, and to Redis in a
 *   compact frame: the packet's fields as JSON, then the payload bytes as they are;
 * - a frame coming back from Redis is dropped when this node sent it (delivered already), and when
 *   its sequence number from that node was seen (Redis sends a message once per matching pattern);
 * - a frame that is not ours (another encoding, a node on another version) is dropped and counted.
 *
 * Order holds per publishing node: one publishing connection to Redis, and Redis keeps its order.
 */
import { randomBytes } from 'node:crypto';

/** The parts of an `mqemitter-redis` instance this module uses. */
export interface RedisEmitterInternals {
  readonly subConn: {
    removeAllListeners(event: string): unknown;
    on(event: 'messageBuffer', listener: (channel: Buffer, message: Buffer) => void): unknown;
    on(event: 'pmessageBuffer', listener: (pattern: Buffer, channel: Buffer, message: Buffer) => void): unknown;
  };
  readonly pubConn: { publish(channel: string, message: Buffer): Promise<unknown> };
  readonly closed?: boolean;
  /** MQEmitter's own `emit`: delivers to this node's listeners. */
  _emit(packet: EmittedPacket, done?: (error?: Error) => void): void;
  _onError(error?: Error): void;
  emit(packet: EmittedPacket, done?: (error?: Error) => void): void;
}

/** A packet as Aedes emits it: a topic, a payload and plain fields. */
export interface EmittedPacket {
  topic: string;
  payload?: Buffer | string | Uint8Array;
  [field: string]: unknown;
}

/** What a node's emitter counted. */
export interface LocalFirstEmitterStats {
  /** Frames sent to Redis for the other nodes. */
  sent: number;
  /** Frames from other nodes delivered here. */
  received: number;
  /** This node's own frames coming back from Redis, dropped (delivered at once already). */
  ownEchoes: number;
  /** A frame seen again through a second matching pattern, dropped. */
  duplicates: number;
  /** Frames not in this format, dropped. */
  foreign: number;
}

/** First byte of every frame, then the format version. */
const MAGIC = 0x63;
const VERSION = 1;
/** magic, version, 4-byte header length. */
const PREFIX_BYTES = 6;

interface FrameHeader {
  /** Origin node. */
  o: string;
  /** Its sequence number. */
  s: number;
  /** The packet's fields but the payload. */
  p: { topic: string; [field: string]: unknown };
}

/** Encodes a packet for the other nodes. */
export function encodeFrame(origin: string, seq: number, packet: EmittedPacket): Buffer {
  const { payload, ...fields } = packet;
  const header = Buffer.from(JSON.stringify({ o: origin, s: seq, p: fields } satisfies FrameHeader));
  const body = payload === undefined ? Buffer.alloc(0) : typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const frame = Buffer.allocUnsafe(PREFIX_BYTES + header.length + body.length);
  frame[0] = MAGIC;
  frame[1] = VERSION;
  frame.writeUInt32BE(header.length, 2);
  header.copy(frame, PREFIX_BYTES);
  body.copy(frame, PREFIX_BYTES + header.length);
  return frame;
}

/** Decodes a frame; undefined when it is not one of ours. */
export function decodeFrame(frame: Buffer): { origin: string; seq: number; packet: EmittedPacket } | undefined {
  if (frame.length < PREFIX_BYTES || frame[0] !== MAGIC || frame[1] !== VERSION) return undefined;
  const headerEnd = PREFIX_BYTES + frame.readUInt32BE(2);
  if (headerEnd > frame.length) return undefined;
  try {
    const header = JSON.parse(frame.toString('utf8', PREFIX_BYTES, headerEnd)) as FrameHeader;
    if (typeof header.o !== 'string' || typeof header.s !== 'number' || typeof header.p?.topic !== 'string') return undefined;
    // A copy: the frame's buffer belongs to the Redis client's parser.
    return { origin: header.o, seq: header.s, packet: { ...header.p, payload: Buffer.from(frame.subarray(headerEnd)) } };
  } catch {
    return undefined;
  }
}

/** Makes `emitter` local-first (see the file comment); returns its counters. */
export function makeLocalFirst(emitter: RedisEmitterInternals): LocalFirstEmitterStats {
  const stats: LocalFirstEmitterStats = { sent: 0, received: 0, ownEchoes: 0, duplicates: 0, foreign: 0 };
  // A fresh id per process: a restarted node starts its sequence again under a new name.
  const self = randomBytes(8).toString('base64url');
  let seq = 0;
  const lastSeen = new Map<string, number>();

  const onFrame = (message: Buffer) => {
    const frame = decodeFrame(message);
    if (!frame) {
      stats.foreign++;
      return;
    }
    if (frame.origin === self) {
      stats.ownEchoes++;
      return;
    }
    if (frame.seq <= (lastSeen.get(frame.origin) ?? 0)) {
      stats.duplicates++;
      return;
    }
    lastSeen.set(frame.origin, frame.seq);
    stats.received++;
    emitter._emit(frame.packet);
  };
  emitter.subConn.removeAllListeners('messageBuffer');
  emitter.subConn.removeAllListeners('pmessageBuffer');
  // Redis Sentinel announces itself on this channel; mqemitter-redis ignores it too.
  emitter.subConn.on('messageBuffer', (channel, message) => channel.toString() !== '__sentinel__:hello' && onFrame(message));
  emitter.subConn.on('pmessageBuffer', (_pattern, _channel, message) => onFrame(message));

  emitter.emit = (packet, done = (error) => emitter._onError(error)) => {
    if (emitter.closed) {
      done(new Error('mqemitter-redis is closed'));
      return;
    }
    // Done once this node's listeners have it and Redis took it, with the first error if any.
    let pending = 2;
    let failure: Error | undefined;
    const settle = (error?: Error) => {
      failure ??= error;
      if (--pending === 0) done(failure);
    };
    emitter._emit(packet, () => settle());
    stats.sent++;
    emitter.pubConn.publish(packet.topic, encodeFrame(self, ++seq, packet)).then(() => settle(), (error: Error) => settle(error));
  };
  return stats;
}
