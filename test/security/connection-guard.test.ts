/**
 * The connection guard on its own, over an in-memory socket: MQTT fixed headers however the bytes
 * are split, the exact edges of each budget, and nothing but the violation closes a connection.
 * (The attacks themselves run against the real broker in broker-budgets.test.ts.)
 */
import { describe, expect, test } from 'vitest';
import { Duplex } from 'node:stream';
import { ConnectionGuard, type GuardViolation } from '../../src/broker/connection-guard.js';
import { remainingLength } from '../helpers/raw-mqtt.js';

/** A socket the test feeds (`deliver`) and whose writes it records. */
function fakeSocket() {
  const written: Buffer[] = [];
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      written.push(chunk);
      callback();
    },
  });
  return { socket, written, deliver: (bytes: Buffer) => socket.push(bytes) };
}

function setup(options: { packetLimit?: () => number | undefined; buffered?: () => number; outbound?: number } = {}) {
  const { socket, written, deliver } = fakeSocket();
  const violations: GuardViolation[] = [];
  const guard = new ConnectionGuard(socket, {
    transport: 'tcp',
    maxBytesBeforeConnect: 100,
    packetLimit: options.packetLimit ?? (() => undefined),
    outboundLimit: () => options.outbound ?? 1_000,
    bufferedBytes: options.buffered ?? (() => 0),
    onViolation: (violation) => violations.push(violation),
  });
  const received: Buffer[] = [];
  guard.on('data', (chunk: Buffer) => received.push(chunk));
  guard.on('error', () => undefined);
  const flush = () => new Promise((resolve) => setImmediate(resolve));
  return { guard, written, deliver, violations, received: () => Buffer.concat(received), flush };
}

/** A packet of `size` bytes in total (header included) with first byte `type`. */
function packetOfSize(type: number, size: number): Buffer {
  for (let body = size - 2; body >= 0; body--) {
    const header = Buffer.concat([Buffer.from([type]), remainingLength(body)]);
    if (header.length + body === size) return Buffer.concat([header, Buffer.alloc(body, 7)]);
  }
  throw new Error(`no packet of ${size} bytes`);
}

describe('inbound', () => {
  test('packets split byte by byte, and several in one chunk, pass through unchanged', async () => {
    const { deliver, received, violations, flush } = setup({ packetLimit: () => 10_000 });
    const stream = Buffer.concat([packetOfSize(0x30, 300), packetOfSize(0xc0, 2), packetOfSize(0x30, 200)]);
    for (const byte of stream) deliver(Buffer.from([byte]));
    deliver(stream);
    await flush();
    expect(violations).toEqual([]);
    expect(received()).toEqual(Buffer.concat([stream, stream]));
  });

  test('before authentication: a CONNECT of exactly the budget passes, one byte more closes', async () => {
    const fits = setup();
    fits.deliver(packetOfSize(0x10, 100));
    await fits.flush();
    expect(fits.violations).toEqual([]);
    const over = setup();
    over.deliver(packetOfSize(0x10, 101).subarray(0, 3));
    await over.flush();
    // Closed at the header: the body was never needed to know.
    expect(over.violations).toEqual(['bytes-before-connect']);
    expect(over.guard.destroyed).toBe(true);
  });

  test('before authentication: small packets that add up past the budget close too', async () => {
    const { deliver, violations, flush } = setup();
    for (let i = 0; i < 5; i++) deliver(packetOfSize(0xc0, 30));
    await flush();
    expect(violations).toEqual(['bytes-before-connect']);
  });

  test("after authentication: the principal's packet size, checked on the announced length", async () => {
    let limit: number | undefined;
    const { deliver, violations, received, flush } = setup({ packetLimit: () => limit });
    deliver(packetOfSize(0x10, 50));
    limit = 5_000;
    deliver(packetOfSize(0x30, 5_000));
    await flush();
    expect(violations).toEqual([]);
    // A 268 MB announcement, split inside its length bytes: closed as soon as the length is known.
    const header = Buffer.concat([Buffer.from([0x30]), remainingLength(268_435_455)]);
    deliver(header.subarray(0, 2));
    await flush();
    expect(violations).toEqual([]);
    deliver(header.subarray(2));
    await flush();
    expect(violations).toEqual(['packet-too-large']);
    // Aedes saw the two packets and the first two header bytes of the third; none of its body.
    expect(received().length).toBe(5_050 + 2);
  });
});

describe('outbound', () => {
  test('writes pass while the socket holds less than the budget; past it the connection is dropped, never waited on', async () => {
    let buffered = 0;
    const { guard, written, violations, flush } = setup({ buffered: () => buffered, outbound: 1_000 });
    // Into an empty buffer any single packet passes (its size is bounded by the packet budget).
    expect(guard.write(Buffer.alloc(5_000))).toBe(true);
    buffered = 600;
    expect(guard.write(Buffer.alloc(400))).toBe(true);
    buffered = 1_000;
    let called = false;
    guard.write(Buffer.alloc(1), () => (called = true));
    await flush();
    expect(called).toBe(true);
    expect(violations).toEqual(['outbound-overflow']);
    expect(written.map((chunk) => chunk.length)).toEqual([5_000, 400]);
  });
});
