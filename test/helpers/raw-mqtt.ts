/**
 * A hand-driven MQTT 3.1.1 client for attacks no well-behaved library performs: announcing a
 * packet larger than it sends, or connecting and then never reading again. It speaks over a raw
 * TCP socket or a raw WebSocket, builds the few packets it needs itself, and exposes the socket
 * so a test can pause it.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { WebSocket } from 'ws';

/** The variable-length "remaining length" of MQTT's fixed header. */
export function remainingLength(length: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    bytes.push(byte);
  } while (length > 0);
  return Buffer.from(bytes);
}

function utf8(value: string): Buffer {
  const body = Buffer.from(value, 'utf8');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(body.length);
  return Buffer.concat([length, body]);
}

function packet(firstByte: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([firstByte]), remainingLength(body.length), body]);
}

/** CONNECT, MQTT 3.1.1, username and password set, keepalive 60 s. */
export function connectPacket(options: { clientId: string; username: string; password: string; clean?: boolean }): Buffer {
  const flags = 0x80 | 0x40 | (options.clean === false ? 0 : 0x02);
  const keepalive = Buffer.from([0, 60]);
  return packet(0x10, Buffer.concat([utf8('MQTT'), Buffer.from([4, flags]), keepalive, utf8(options.clientId), utf8(options.username), utf8(options.password)]));
}

/** SUBSCRIBE to one filter at QoS 0. */
export function subscribePacket(filter: string, messageId = 1): Buffer {
  return packet(0x82, Buffer.concat([Buffer.from([messageId >> 8, messageId & 0xff]), utf8(filter), Buffer.from([0])]));
}

/** UNSUBSCRIBE from one filter. */
export function unsubscribePacket(filter: string, messageId = 1): Buffer {
  return packet(0xa2, Buffer.concat([Buffer.from([messageId >> 8, messageId & 0xff]), utf8(filter)]));
}

/** PUBLISH at QoS 0 (no packet id, nothing comes back). */
export function publishPacket(topic: string, payload: string | Buffer): Buffer {
  return packet(0x30, Buffer.concat([utf8(topic), Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8')]));
}

/** The first bytes of a packet of `type` (CONNECT 0x10, PUBLISH 0x30) announcing `length` bytes. */
export function announcedHeader(firstByte: number, length: number): Buffer {
  return Buffer.concat([Buffer.from([firstByte]), remainingLength(length)]);
}

/** A connection that sends bytes and reports what came back and when it closed. */
export interface RawConnection {
  send(bytes: Buffer): Promise<void>;
  /** Resolves with the first `n` bytes received (CONNACK is 4, SUBACK 5). */
  receive(n: number): Promise<Buffer>;
  /** Stops reading: the broker's writes pile up in its own buffers. */
  stopReading(): void;
  readonly closed: Promise<void>;
  isClosed(): boolean;
  destroy(): void;
}

function collector() {
  let buffer = Buffer.alloc(0);
  let ended = false;
  const waiters: Array<{ n: number; resolve: (bytes: Buffer) => void; reject: (error: Error) => void }> = [];
  const settle = () => {
    while (waiters.length > 0 && buffer.length >= waiters[0].n) {
      const { n, resolve } = waiters.shift()!;
      resolve(buffer.subarray(0, n));
      buffer = buffer.subarray(n);
    }
    if (ended) for (const waiter of waiters.splice(0)) waiter.reject(new Error('connection closed before the expected bytes arrived'));
  };
  return {
    push(chunk: Buffer) {
      buffer = Buffer.concat([buffer, chunk]);
      settle();
    },
    end() {
      ended = true;
      settle();
    },
    receive(n: number): Promise<Buffer> {
      return new Promise((resolve, reject) => {
        waiters.push({ n, resolve, reject });
        settle();
      });
    },
  };
}

/** Opens a raw TCP connection to `mqtt://host:port`. */
export async function rawTcp(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  const socket: Socket = netConnect({ host: hostname, port: Number(port) });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => undefined);
  const incoming = collector();
  socket.on('data', (chunk) => incoming.push(chunk));
  let closed = false;
  const whenClosed = new Promise<void>((resolve) => socket.once('close', () => ((closed = true), incoming.end(), resolve())));
  return {
    // A failed write means the broker closed the socket ('close' itself waits for an event-loop turn).
    send: (bytes) => new Promise<void>((resolve) => (closed ? resolve() : socket.write(bytes, (error) => ((closed ||= error != null), resolve())))),
    receive: (n) => incoming.receive(n),
    stopReading: () => socket.pause(),
    closed: whenClosed,
    isClosed: () => closed || socket.destroyed,
    destroy: () => socket.destroy(),
  };
}

/** Opens a raw MQTT-over-WebSocket connection. */
export async function rawWebSocket(url: string): Promise<RawConnection> {
  const socket = new WebSocket(url, 'mqtt');
  await new Promise<void>((resolve, reject) => socket.once('open', resolve).once('error', reject));
  socket.on('error', () => undefined);
  const incoming = collector();
  socket.on('message', (data: Buffer) => incoming.push(data));
  let closed = false;
  const whenClosed = new Promise<void>((resolve) => socket.once('close', () => ((closed = true), incoming.end(), resolve())));
  return {
    send: (bytes) => new Promise<void>((resolve) => (closed || socket.readyState !== socket.OPEN ? resolve() : socket.send(bytes, { binary: true }, (error) => ((closed ||= error != null), resolve())))),
    receive: (n) => incoming.receive(n),
    // `ws` keeps the TCP socket; pausing it stops reading at the kernel.
    stopReading: () => (socket as unknown as { _socket: Socket })._socket.pause(),
    closed: whenClosed,
    isClosed: () => closed || socket.readyState !== socket.OPEN,
    destroy: () => socket.terminate(),
  };
}

/**
 * Keeps sending `chunk` until the connection closes or `maxBytes` went out; resolves with the
 * bytes sent. Each send waits for the previous one to be taken by the socket.
 */
export async function sendUntilClosed(connection: RawConnection, chunk: Buffer, maxBytes: number): Promise<number> {
  let sent = 0;
  while (!connection.isClosed() && sent < maxBytes) {
    await connection.send(chunk);
    sent += chunk.length;
  }
  return sent;
}
