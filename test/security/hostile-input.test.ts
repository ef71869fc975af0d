/**
 * Hostile input while a turn streams, through the embedded broker with authentication on:
 * the browser transport signs in through the credentials endpoint, the worker is a service
 * account, and an attacker floods the chat's topics.
 *
 * Who can send what is the ACL's business (acl-matrix.test.ts): a browser of another user is
 * refused by the broker, so the bulk of the flood comes from a *service account* (raw injection:
 * the strongest sender the ACL admits). What it cannot do is forge a valid envelope of the live
 * turn without knowing the turn; everything recognisably wrong must be dropped and counted.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createServer, type Server } from 'node:http';
import mqtt, { type MqttClient } from 'mqtt';
import type { UIMessageChunk } from 'ai';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { createChatWorker, toNodeHandler, type ChatWorker } from '../../src/server/index.js';
import { createCredentialsHandler } from '../../src/server/credentials/handler.js';
import { createJwtIssuer } from '../../src/server/credentials/jwt.js';
import { createServiceAccount } from '../../src/server/credentials/service-account.js';
import { scriptedChunkStream } from '../../src/testing/scripted-model.js';
import { TopicScheme, encodeStream, encodeRequest, decodeStream } from '../../src/transport/index.js';
import { totalDropped, type TransportStats } from '../../src/transport/stats.js';
import type { DeniedEvent } from '../../src/broker/auth.js';
import { createTransport, readTurn, userMessage, waitConnected } from '../helpers/chat-harness.js';
import { closedWithin, publishOutcome } from './acl-targets.js';

const SECRET = 'hostile-input-secret-0123456789abcdefghij';
const topics = new TopicScheme();
const ANSWER = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ') + '.';
const ALICE = { userId: 'alice', chatId: 'c-hostile' };

let broker: EmbeddedBroker;
let worker: ChatWorker;
let authServer: Server;
let authUrl: string;
const denied: DeniedEvent[] = [];
const browserClientIds: string[] = [];
const workerAccount = createServiceAccount('hostile-worker');
const attackerAccount = createServiceAccount('hostile-injector');

beforeAll(async () => {
  broker = await startEmbeddedBroker({
    port: 0,
    wsPort: 0,
    auth: { jwtSecret: SECRET, serviceAccounts: [workerAccount, attackerAccount], onDenied: (event) => denied.push(event) },
  });
  broker.aedes.on('clientReady', (client) => {
    if (client.id.startsWith('alice_')) browserClientIds.push(client.id);
  });
  worker = await createChatWorker({
    url: broker.mqttUrl,
    username: workerAccount.username,
    password: workerAccount.password,
    workerId: workerAccount.clientId,
    rateLimit: false,
    handler: ({ abortSignal }) => holdBeforeTextEnd(scriptedChunkStream({ text: ANSWER, tokenDelayMs: 12, signal: abortSignal }), turnHold),
  });
  // The session check of the app: the header names the signed-in user.
  const handler = createCredentialsHandler({ authenticate: (request) => request.headers.get('x-user'), issuer: createJwtIssuer({ secret: SECRET }), ttlSeconds: 300 });
  authServer = createServer(toNodeHandler(handler));
  await new Promise<void>((resolve) => authServer.listen(0, '127.0.0.1', resolve));
  authUrl = `http://127.0.0.1:${(authServer.address() as { port: number }).port}/api/auth/mqtt`;
});

/**
 * The first turn stays live until the test has seen the whole flood counted: the flood must land
 * while the turn streams, and on a busy machine the worker's chunks can overtake the injector's
 * backlog in the broker (after the turn ends the transport unsubscribes, so the rest is never seen).
 */
let releaseTurn: () => void = () => {};
let turnHold: Promise<void> = new Promise<void>((resolve) => (releaseTurn = resolve));

/** Passes every chunk through, but waits for `hold` before the text ends. */
function holdBeforeTextEnd(stream: ReadableStream<UIMessageChunk>, hold: Promise<void>): ReadableStream<UIMessageChunk> {
  return stream.pipeThrough(
    new TransformStream<UIMessageChunk, UIMessageChunk>({
      async transform(chunk, controller) {
        if (chunk.type === 'text-end') await hold;
        controller.enqueue(chunk);
      },
    }),
  );
}

afterAll(async () => {
  await worker?.close();
  await new Promise<void>((resolve) => authServer?.close(() => resolve()));
  await broker?.close();
});

type Kind = 'malformed' | 'version' | 'invalid-seq' | 'invalid-shape' | 'foreign-request' | 'replayed' | 'oversized' | 'malformed-status' | 'malformed-complete' | 'malformed-replay';

/** Deterministic generator (no Math.random: a failure must be reproducible). */
function* junk(count: number, replayTopic: string): Generator<{ kind: Kind; topic: string; payload: string | Buffer }> {
  const stream = topics.topic(ALICE, 'stream');
  const status = topics.topic(ALICE, 'status');
  const complete = topics.topic(ALICE, 'complete');
  const delta = (text: string) => [{ type: 'text-delta', id: '0', delta: text }];
  for (let i = 0; i < count; i++) {
    switch (i % 20) {
      case 0: yield { kind: 'malformed', topic: stream, payload: `{"v":1,"r":"x${i}","s":` }; break;
      case 1: yield { kind: 'malformed', topic: stream, payload: Buffer.from([0xff, 0xfe, 0x00, i & 0xff, 0x80]) }; break;
      case 2: yield { kind: 'malformed', topic: stream, payload: i % 40 === 2 ? '[1,2,3]' : 'null' }; break;
      case 3: yield { kind: 'version', topic: stream, payload: JSON.stringify({ v: 2, r: `req${i}`, s: 0, c: delta('EVIL') }) }; break;
      case 4: yield { kind: 'invalid-seq', topic: stream, payload: JSON.stringify({ v: 1, r: `req${i}`, s: -1 - i, c: delta('EVIL') }) }; break;
      case 5: yield { kind: 'invalid-seq', topic: stream, payload: JSON.stringify({ v: 1, r: `req${i}`, s: i + 0.5, c: delta('EVIL') }) }; break;
      case 6: yield { kind: 'invalid-seq', topic: stream, payload: JSON.stringify({ v: 1, r: `req${i}`, s: 2 ** 60, c: delta('EVIL') }) }; break;
      case 7: yield { kind: 'invalid-seq', topic: stream, payload: JSON.stringify({ v: 1, r: `req${i}`, s: String(i), c: delta('EVIL') }) }; break;
      case 8: yield { kind: 'invalid-shape', topic: stream, payload: JSON.stringify({ v: 1, r: 'bad/request+id#', s: 0, c: delta('EVIL') }) }; break;
      case 9: yield { kind: 'invalid-shape', topic: stream, payload: JSON.stringify({ v: 1, r: `req${i}`, s: 0, c: [] }) }; break;
      case 10: yield { kind: 'invalid-shape', topic: stream, payload: JSON.stringify({ v: 1, r: `req${i}`, s: 0, c: [{ delta: 'no type' }] }) }; break;
      case 11: yield { kind: 'invalid-shape', topic: stream, payload: JSON.stringify({ v: 1, r: 'x'.repeat(65), s: 0, c: delta('EVIL') }) }; break;
      case 12:
      case 13:
      case 14: yield { kind: 'foreign-request', topic: stream, payload: encodeStream({ requestId: `foreign${i}`, seq: i % 7, chunks: delta('EVIL') as never, end: i % 3 === 0 }) }; break;
      case 15: yield { kind: 'malformed-status', topic: status, payload: i % 2 ? '{"v":1,"r":"x","state":"done"' : '{"v":9}' }; break;
      case 16: yield { kind: 'malformed-complete', topic: complete, payload: i % 2 ? 'complete?' : '{"v":1,"r":"??"}' }; break;
      case 17: yield { kind: 'malformed-replay', topic: replayTopic, payload: `{"v":1,"r":"replay${i}","s":"nope"}` }; break;
      case 18: yield { kind: 'foreign-request', topic: replayTopic, payload: encodeStream({ requestId: `foreignReplay${i}`, seq: 0, chunks: delta('EVIL') as never, end: false }) }; break;
      default: yield { kind: 'malformed', topic: stream, payload: '{'.repeat(1 + (i % 50)) }; break;
    }
  }
}

describe('hostile input while a turn streams (embedded broker, auth on)', () => {
  test('≥ 10 000 malformed, oversized, foreign, replayed, out-of-range and spoofed messages: no crash, exact text, every drop counted', async () => {
    const transport = createTransport({ wssUrl: broker.wsUrl, authEndpoint: authUrl, headers: { 'x-user': 'alice' }, userId: 'alice', streamTimeout: 20_000 });
    await waitConnected(transport);
    const clientId = browserClientIds.at(-1)!;
    expect(clientId).toMatch(/^alice_/);
    const replayTopic = topics.topic(ALICE, 'replay', clientId);

    // The injector: a service account that also records the genuine envelopes to replay them.
    const injector: MqttClient = await mqtt.connectAsync(broker.mqttUrl, { ...attackerAccount, reconnectPeriod: 0 });
    const genuine: Buffer[] = [];
    injector.on('message', (topic, payload) => {
      if (topic === topics.topic(ALICE, 'stream') && decodeStream(payload).ok) genuine.push(Buffer.from(payload));
    });
    await injector.subscribeAsync(topics.topic(ALICE, 'stream'), { qos: 0 });

    const baseline: TransportStats = transport.statsNow();
    const stream = await transport.sendMessages({ chatId: ALICE.chatId, trigger: 'submit-message', messageId: undefined, abortSignal: undefined, messages: [userMessage('hello')] });
    const turn = readTurn(transport, ALICE.chatId, stream);
    let turnEndedAt = 0;
    void turn.then(() => (turnEndedAt = Date.now()));

    // Wait until the turn is live, so everything below lands while it streams.
    await expect.poll(() => genuine.length, { timeout: 10_000, interval: 20 }).toBeGreaterThanOrEqual(10);

    const sent = new Map<Kind, number>();
    const note = (kind: Kind) => sent.set(kind, (sent.get(kind) ?? 0) + 1);
    let expectedDrops = 0;

    // 1. The generated flood: 10 000 messages, all recognisably wrong.
    const pending: Promise<unknown>[] = [];
    for (const message of junk(10_000, replayTopic)) {
      note(message.kind);
      expectedDrops++;
      pending.push(injector.publishAsync(message.topic, message.payload, { qos: 0 }));
    }
    // 2. Oversized: above the transport's 256 KiB limit (and below the service packet limit).
    for (let i = 0; i < 24; i++) {
      note('oversized');
      expectedDrops++;
      pending.push(injector.publishAsync(topics.topic(ALICE, 'stream'), Buffer.alloc(300 * 1024 + i, 0x61), { qos: 0 }));
    }
    // 3. Replayed: genuine envelopes of the live turn, sent again (a duplicate is dropped, once per copy).
    const replayable = genuine.slice(0, genuine.length);
    for (let round = 0; round < 10; round++) {
      for (const payload of replayable) {
        note('replayed');
        expectedDrops++;
        pending.push(injector.publishAsync(topics.topic(ALICE, 'stream'), payload, { qos: 0 }));
      }
    }
    await Promise.all(pending);
    const floodDoneAt = Date.now();

    // 4. Out-of-range sequence numbers *of the live turn* (far beyond its end): they cannot be told
    //    from future chunks until the turn ends, so they are held, never rendered, and not "drops".
    const live = decodeStream(genuine[0]);
    expect(live.ok).toBe(true);
    const liveRequestId = live.ok ? live.value.requestId : '';
    let heldFarAhead = 0;
    for (let i = 0; i < 50; i++) {
      heldFarAhead++;
      await injector.publishAsync(topics.topic(ALICE, 'stream'), encodeStream({ requestId: liveRequestId, seq: 1_000_000 + i, chunks: [{ type: 'text-delta', id: '0', delta: 'EVIL' }] as never, end: false }), { qos: 0 });
    }

    // 5. Spoofed sender from a browser: another signed-in user tries alice's topics; the broker refuses.
    let refusedByBroker = 0;
    const malloryCredentials = await (await fetch(authUrl, { method: 'POST', headers: { 'x-user': 'mallory' } })).json();
    for (const channel of ['stream', 'status', 'complete', 'request', 'control'] as const) {
      const mallory = await mqtt.connectAsync(broker.wsUrl, { username: malloryCredentials.username, password: malloryCredentials.password, clientId: `mallory_${channel}Probe1`, reconnectPeriod: 0 });
      const outcome = await publishOutcome(mallory, topics.topic(ALICE, channel), encodeStream({ requestId: liveRequestId, seq: 5, chunks: [{ type: 'text-delta', id: '0', delta: 'EVIL' }] as never, end: false }), { qos: 1 });
      expect(outcome).toBe('closed');
      refusedByBroker++;
      await mallory.endAsync(true);
    }
    // …and a browser of alice's own cannot publish on her stream either (not a worker channel for browsers).
    const aliceCredentials = await (await fetch(authUrl, { method: 'POST', headers: { 'x-user': 'alice' } })).json();
    const fakeWorker = await mqtt.connectAsync(broker.wsUrl, { username: aliceCredentials.username, password: aliceCredentials.password, clientId: 'alice_forger0001', reconnectPeriod: 0 });
    expect(await publishOutcome(fakeWorker, topics.topic(ALICE, 'stream'), 'x', { qos: 1 })).toBe('closed');
    refusedByBroker++;
    await fakeWorker.endAsync(true);

    // 6. Hostile requests at the worker: mallory floods her own request topic (allowed) with junk.
    const malloryOwn = await mqtt.connectAsync(broker.wsUrl, { username: malloryCredentials.username, password: malloryCredentials.password, clientId: 'mallory_request01', reconnectPeriod: 0 });
    const workerDroppedBefore = worker.stats.dropped + worker.stats.rejected;
    const badRequests = 500;
    for (let i = 0; i < badRequests; i++) {
      const payload = i % 2 ? `{"v":1,"r":"q${i}"` : encodeRequest({ requestId: `q${i}`, trigger: 'submit-message', messages: [{ id: 'm', role: 'user', parts: 'not an array' }] as never } as never);
      await malloryOwn.publishAsync(topics.topic({ userId: 'mallory', chatId: 'c1' }, 'request'), payload, { qos: 0 });
    }

    // Every recognisably wrong message is counted in the transport's stats store, while the turn is live.
    await expect
      .poll(() => totalDropped(transport.stats.getSnapshot()) - totalDropped(baseline), { timeout: 30_000, interval: 100 })
      .toBeGreaterThanOrEqual(expectedDrops);
    expect(turnEndedAt).toBe(0);
    releaseTurn();
    turnHold = Promise.resolve();

    const result = await turn;
    expect(result.text).toBe(ANSWER);
    expect(result.text).not.toContain('EVIL');
    expect(floodDoneAt).toBeLessThan(turnEndedAt);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = transport.stats.getSnapshot();
    const delta = (reason: keyof TransportStats['dropped']) => after.dropped[reason] - baseline.dropped[reason];
    const undecodable = ['malformed', 'version', 'invalid-seq', 'invalid-shape', 'malformed-status', 'malformed-complete', 'malformed-replay'] as const;
    // Exact for what cannot be decoded and for oversized payloads.
    expect(delta('malformed') + delta('version') + delta('invalid')).toBe(undecodable.reduce((sum, kind) => sum + (sent.get(kind) ?? 0), 0));
    expect(delta('oversized')).toBe(sent.get('oversized'));
    expect(delta('stale')).toBe(0);
    // Foreign and replayed envelopes: each is counted; any excess is the worker's own replay
    // answers overlapping live chunks (the far-ahead sequence numbers open a gap that asks for them).
    const foreignOrDuplicate = delta('foreign') + delta('duplicate');
    const injectedDecodable = (sent.get('replayed') ?? 0) + (sent.get('foreign-request') ?? 0);
    expect(foreignOrDuplicate).toBeGreaterThanOrEqual(injectedDecodable);
    if (foreignOrDuplicate > injectedDecodable) expect(after.replaysRequested).toBeGreaterThan(baseline.replaysRequested);
    const dropped = after.dropped;
    await expect.poll(() => worker.stats.dropped + worker.stats.rejected - workerDroppedBefore, { timeout: 10_000 }).toBe(badRequests);

    // The transport and worker still work: a second turn is exact.
    const again = await readTurn(transport, ALICE.chatId, await transport.sendMessages({ chatId: ALICE.chatId, trigger: 'submit-message', messageId: undefined, abortSignal: undefined, messages: [userMessage('again')] }));
    expect(again.text).toBe(ANSWER);
    expect(await closedWithin(injector, 10)).toBe(false);

    const total = [...sent.values()].reduce((a, b) => a + b, 0) + heldFarAhead + refusedByBroker + badRequests;
    console.log(
      `[hostile-input] ${total} hostile messages: ${JSON.stringify(Object.fromEntries(sent))}, held far-ahead ${heldFarAhead}, refused by broker ${refusedByBroker}, bad requests ${badRequests}; transport counted ${totalDropped(after) - totalDropped(baseline)} drops for ${expectedDrops} droppable (${JSON.stringify(dropped)}), replays requested ${after.replaysRequested - baseline.replaysRequested}`,
    );
    expect(total).toBeGreaterThanOrEqual(10_000);
    expect(denied.filter((event) => event.stage === 'publish').length).toBeGreaterThanOrEqual(refusedByBroker);
    await malloryOwn.endAsync(true);
    await injector.endAsync(true);
    transport.close();
  });
});
