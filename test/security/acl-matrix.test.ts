/**
 * The access table of DESIGN.md, checked cell by cell against both brokers with real MQTT.js
 * clients over TCP and WebSocket. Every forbidden cell must be refused by the broker (SUBACK 128,
 * PUBACK "not authorized" or a closed session, and never delivered); every allowed cell must
 * work end to end (positive controls: without them a broker that refuses everything would pass).
 *
 * Documented differences between the brokers (both are safe; see docs/security.md):
 * - Mosquitto grants a browser a wildcard filter that stays inside its own rights
 *   (`chat/alice/+/stream`); the embedded broker refuses all browser wildcards.
 * - Mosquitto cannot see the transport, so "a worker credential used from a browser" is refused
 *   by the client-id binding alone; the embedded broker also refuses service accounts on WebSocket.
 * - Mosquitto 2.0 has no per-client control over the retain flag: a browser's retained publish to
 *   its own `request` topic is stored (only workers can read it, flagged as retained), and so is
 *   a retained will on that topic.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { MqttClient } from 'mqtt';
import { TopicScheme } from '../../src/transport/topics.js';
import { authorize, BROWSER_READ_CHANNELS } from '../../src/broker/acl.js';
import { closedWithin, connect, embeddedTarget, mosquittoTarget, publishOutcome, sleep, tryConnect, type AclTarget } from './acl-targets.js';

const scheme = new TopicScheme();
const ALICE = 'alice';
const BOB = 'bob';
// Browser client ids are bound to their user: `{userId}_{letters and digits}` (src/transport/client-ids.ts).
const ALICE_TAB = 'alice_aliceTab1';
const ALICE_OTHER_TAB = 'alice_aliceTab2';
const CHANNELS = ['request', 'control', 'stream', 'status', 'complete', 'replay-own', 'replay-other-tab'] as const;
type Cell = (typeof CHANNELS)[number];

function topicFor(userId: string, chatId: string, cell: Cell): string {
  if (cell === 'replay-own') return scheme.topic({ userId, chatId }, 'replay', ALICE_TAB);
  if (cell === 'replay-other-tab') return scheme.topic({ userId, chatId }, 'replay', ALICE_OTHER_TAB);
  return scheme.topic({ userId, chatId }, cell);
}

/** What DESIGN.md says about a browser (alice, tab 1) reading a topic: the pure ACL is the oracle. */
function mayRead(userId: string, cell: Cell): boolean {
  const designed = authorize(scheme, { kind: 'browser', userId: ALICE, clientId: ALICE_TAB }, { type: 'subscribe', filter: topicFor(userId, 'x', cell), qos: 1 }).allow;
  // Sanity: the oracle agrees with the table itself.
  const channel = cell.startsWith('replay') ? 'replay' : cell;
  expect(designed).toBe(userId === ALICE && BROWSER_READ_CHANNELS.includes(channel as never) && cell !== 'replay-other-tab');
  return designed;
}

function mayWrite(userId: string, cell: Cell): boolean {
  return authorize(scheme, { kind: 'browser', userId: ALICE, clientId: ALICE_TAB }, { type: 'publish', topic: topicFor(userId, 'x', cell), qos: 1, retain: false }).allow;
}

const targets = [
  ['embedded', embeddedTarget],
  ['mosquitto', mosquittoTarget],
] as const;

describe.each(targets)('ACL matrix: %s broker', (_name, start) => {
  let target: AclTarget;
  let observer: MqttClient;
  const observed: Array<{ topic: string; payload: string; retain: boolean }> = [];
  let cases = 0;
  let unique = 0;
  const chatId = () => `m${++unique}`;

  beforeAll(async () => {
    target = await start();
    // A worker watching everything under the prefix sees whatever got through.
    observer = await connect(target.tcpUrl, { ...target.observer, protocolVersion: 4 });
    observer.on('message', (topic, payload, packet) => observed.push({ topic, payload: payload.toString(), retain: packet.retain }));
    const [grant] = await observer.subscribeAsync(`${scheme.prefix}/#`, { qos: 1 });
    expect(grant.qos).toBe(1);
  });

  afterAll(async () => {
    await observer?.endAsync(true);
    await target?.close();
    console.log(`[acl-matrix] ${target?.name}: ${cases} cases`);
  });

  const browser = async (transport: 'ws' | 'tcp', userId = ALICE, clientId = ALICE_TAB) => {
    const credentials = await target.issue(userId, clientId);
    return connect(transport === 'ws' ? target.wsUrl : target.tcpUrl, { ...credentials, protocolVersion: target.browserProtocol });
  };

  test.each(['ws', 'tcp'] as const)('subscribe: own vs other user × every channel over %s (SUBACK and delivery)', async (transport) => {
    const client = await browser(transport);
    const received: string[] = [];
    client.on('message', (topic) => received.push(topic));
    const rows: Array<{ topic: string; allowed: boolean; granted: number }> = [];
    for (const userId of [ALICE, BOB]) {
      for (const cell of CHANNELS) {
        const topic = topicFor(userId, chatId(), cell);
        const allowed = mayRead(userId, cell);
        const grants = await client.subscribeAsync(topic, { qos: 1 }).catch((error: Error & { granted?: Array<{ qos: number }> }) => error.granted ?? [{ qos: 128 }]);
        rows.push({ topic, allowed, granted: grants[0]?.qos ?? 128 });
      }
    }
    // Positive and negative delivery: the worker publishes to every topic, only granted ones arrive.
    for (const row of rows) await observer.publishAsync(row.topic, `probe ${row.topic}`, { qos: 1 });
    await sleep(300);
    for (const row of rows) {
      cases++;
      expect({ topic: row.topic, refused: row.granted === 128 }).toEqual({ topic: row.topic, refused: !row.allowed });
      expect({ topic: row.topic, delivered: received.includes(row.topic) }).toEqual({ topic: row.topic, delivered: row.allowed });
    }
    expect(rows.filter((row) => row.allowed).length).toBeGreaterThanOrEqual(4);
    await client.endAsync(true);
  });

  test('publish: own vs other user × every channel (refused publishes never reach a worker)', async () => {
    for (const userId of [ALICE, BOB]) {
      for (const cell of CHANNELS) {
        const topic = topicFor(userId, chatId(), cell);
        const allowed = mayWrite(userId, cell);
        const client = await browser('ws');
        const outcome = await publishOutcome(client, topic, `from alice ${topic}`, { qos: 1 });
        await sleep(150);
        cases++;
        const delivered = observed.some((message) => message.topic === topic);
        expect({ topic, delivered }).toEqual({ topic, delivered: allowed });
        // Aedes (MQTT 3.1.1) ends the session; Mosquitto (MQTT 5) answers PUBACK "not authorized".
        if (allowed) expect(outcome).toBe('acked');
        else expect(outcome).toBe(target.name === 'embedded' ? 'closed' : 'error: Publish error: Not authorized');
        await client.endAsync(true);
      }
    }
  });

  test('publish: QoS 2 and the worker namespace are refused', async () => {
    const forbidden = [
      { topic: scheme.topic({ userId: ALICE, chatId: chatId() }, 'request'), qos: 2 as const },
      { topic: scheme.workerPresenceTopic('chat-workers', 'svc-fake'), qos: 1 as const },
      { topic: scheme.sharedProbeTopic('svc-fake'), qos: 0 as const },
    ];
    for (const { topic, qos } of forbidden) {
      const client = await browser('ws');
      const outcome = await publishOutcome(client, topic, 'x', { qos });
      await sleep(150);
      cases++;
      expect(observed.some((message) => message.topic === topic)).toBe(false);
      expect({ topic, qos, outcome }).toEqual({ topic, qos, outcome: qos === 2 || target.name === 'embedded' ? 'closed' : qos === 0 ? 'sent' : 'error: Publish error: Not authorized' });
      await client.endAsync(true);
    }
  });

  test('publish: a retained message from a browser', async () => {
    const topic = scheme.topic({ userId: ALICE, chatId: chatId() }, 'request');
    const client = await browser('ws');
    const outcome = await publishOutcome(client, topic, 'retained by a browser', { qos: 1, retain: true });
    await sleep(200);
    // Subscribing again makes the broker send what it stored, flagged retained.
    await observer.subscribeAsync(topic, { qos: 1 });
    await sleep(200);
    const retained = observed.filter((message) => message.topic === topic && message.retain).map((message) => message.retain);
    cases++;
    if (target.name === 'embedded') {
      expect(outcome).toBe('closed');
      expect(observed.some((message) => message.topic === topic)).toBe(false);
      expect(retained).toEqual([]);
    } else {
      // Known Mosquitto 2.0 gap (no per-client retain control): stored, visible to workers only,
      // and flagged retained so a worker can tell it from a live request.
      expect(outcome).toBe('acked');
      expect(retained).toEqual([true]);
    }
    await client.endAsync(true);
  });

  const wildcardCases = [
    { filter: 'chat/#', allowed: false },
    { filter: '#', allowed: false },
    { filter: 'chat/+/+/stream', allowed: false },
    { filter: 'chat/+/+/request', allowed: false },
    { filter: 'chat/bob/#', allowed: false },
    { filter: 'chat/bob/+/stream', allowed: false },
    { filter: 'chat/alice/#', allowed: false },
    { filter: '$share/g/chat/+/+/request', allowed: false },
    { filter: '$share/g/chat/alice/c1/stream', allowed: false },
    { filter: '$share/g/chat/bob/c1/stream', allowed: false },
    { filter: 'chat/~/#', allowed: false },
    { filter: 'chat/~/sys/workers/+/+', allowed: false },
    { filter: '$SYS/#', allowed: false },
    // Inside alice's own rights: a matter of policy, not of safety (see the header).
    { filter: 'chat/alice/+/stream', allowed: 'mosquitto-only' as const },
  ];

  test('subscribe: wildcard and shared filters', async () => {
    const client = await browser('ws');
    for (const { filter, allowed } of wildcardCases) {
      const grants = await client.subscribeAsync(filter, { qos: 1 }).catch((error: Error & { granted?: Array<{ qos: number }> }) => error.granted ?? [{ qos: 128 }]);
      const expected = allowed === 'mosquitto-only' ? target.name === 'mosquitto' : allowed;
      cases++;
      expect({ filter, refused: (grants[0]?.qos ?? 128) === 128 }).toEqual({ filter, refused: !expected });
    }
    const received: string[] = [];
    client.on('message', (topic) => received.push(topic));
    const bobStream = scheme.topic({ userId: BOB, chatId: chatId() }, 'stream');
    const bobRequest = scheme.topic({ userId: BOB, chatId: chatId() }, 'request');
    await observer.publishAsync(bobStream, 'secret', { qos: 1 });
    await observer.publishAsync(bobRequest, 'secret', { qos: 1 });
    await sleep(300);
    expect(received.filter((topic) => topic.startsWith('chat/bob/'))).toEqual([]);
    await client.endAsync(true);
  });

  test("wills: another user's topic or a worker channel never published; a retained will only on Mosquitto (its retain gap)", async () => {
    const wills = [
      { topic: scheme.topic({ userId: BOB, chatId: chatId() }, 'request'), retain: false },
      { topic: scheme.topic({ userId: ALICE, chatId: chatId() }, 'status'), retain: false },
      { topic: scheme.topic({ userId: ALICE, chatId: chatId() }, 'request'), retain: true },
    ];
    for (const will of wills) {
      const credentials = await target.issue(ALICE, ALICE_TAB);
      const outcome = await connect(target.wsUrl, { ...credentials, protocolVersion: target.browserProtocol, will: { topic: will.topic, payload: Buffer.from('last words'), qos: 1, retain: will.retain } }).then(
        (client) => client,
        () => null,
      );
      // Accepted or refused at CONNECT, the will must never come out: end the session abruptly.
      if (outcome) {
        outcome.stream.destroy();
        await closedWithin(outcome, 1_000);
      }
      await sleep(300);
      cases++;
      expect({ will: will.topic, published: observed.some((message) => message.topic === will.topic) }).toEqual({ will: will.topic, published: will.retain && target.name === 'mosquitto' });
      await outcome?.endAsync(true);
    }
  });

  test("session takeover: another user cannot present alice's client id; the embedded broker refuses persistent browser sessions", async () => {
    const tab = 'alice_alicePersistent';
    const persistent = await tryConnect(target.wsUrl, { ...(await target.issue(ALICE, tab)), protocolVersion: 4, clean: false });
    const alice = await connect(target.wsUrl, { ...(await target.issue(ALICE, tab)), protocolVersion: 4 });
    const bobCredentials = await target.issue(BOB, 'bob_bobTab9');
    const takeover = await tryConnect(target.wsUrl, { ...bobCredentials, clientId: tab, protocolVersion: 4 });
    cases += 2;
    // A persistent session queues for a browser that is gone: the embedded broker refuses it;
    // Mosquitto 2.0 cannot refuse it per user (its queue is bounded by max_queued_messages).
    expect({ persistentAccepted: persistent.accepted }).toEqual({ persistentAccepted: target.name === 'mosquitto' });
    // Embedded: the client id is not bound to bob. Mosquitto: bob's account is bound to his own client id.
    expect({ takeoverAccepted: takeover.accepted, aliceStillConnected: alice.connected }).toEqual({ takeoverAccepted: false, aliceStillConnected: true });
    await alice.endAsync(true);
  });

  test('connect: expired, other user, tampered, anonymous are refused; valid credentials are accepted', async () => {
    const valid = await target.issue(ALICE, ALICE_TAB);
    const bobs = await target.issue(BOB, 'bob_bobTab1');
    const attempts = [
      { name: 'valid (control)', url: target.wsUrl, options: valid, accepted: true },
      { name: 'expired', url: target.wsUrl, options: await target.expired(ALICE, 'alice_aliceExpired'), accepted: false },
      { name: "another user's credential", url: target.wsUrl, options: { username: valid.username, password: bobs.password, clientId: ALICE_TAB }, accepted: false },
      { name: 'tampered', url: target.wsUrl, options: await target.tampered(ALICE, 'alice_aliceTampered'), accepted: false },
      { name: 'anonymous', url: target.wsUrl, options: { clientId: 'alice_anon0000' }, accepted: false },
      { name: 'username only', url: target.tcpUrl, options: { username: valid.username, clientId: 'alice_nopass000' }, accepted: false },
      { name: 'browser credential with a service client id', url: target.wsUrl, options: { ...valid, clientId: 'svc-matrix' }, accepted: false },
    ];
    for (const attempt of attempts) {
      const result = await tryConnect(attempt.url, { ...attempt.options, protocolVersion: target.browserProtocol });
      cases++;
      expect({ name: attempt.name, accepted: result.accepted }).toEqual({ name: attempt.name, accepted: attempt.accepted });
    }
  });

  test('connect: a worker credential used from a browser client id is refused', async () => {
    const { service } = target;
    const attempts = [
      { name: 'service over TCP with its own client id (control)', url: target.tcpUrl, clientId: service.clientId, accepted: true },
      { name: 'service secret, browser client id, WebSocket', url: target.wsUrl, clientId: 'csk_stolen', accepted: false },
      { name: 'service secret, browser client id, TCP', url: target.tcpUrl, clientId: 'csk_stolen', accepted: false },
      { name: 'service secret, another svc- client id', url: target.tcpUrl, clientId: 'svc-other', accepted: false },
      // Mosquitto cannot tell WebSocket from TCP; the embedded broker keeps workers off WebSocket.
      { name: 'service secret, own client id, WebSocket', url: target.wsUrl, clientId: service.clientId, accepted: target.name === 'mosquitto' },
      { name: 'service username, wrong secret', url: target.tcpUrl, clientId: service.clientId, password: 'x'.repeat(32), accepted: false },
    ];
    for (const attempt of attempts) {
      const result = await tryConnect(attempt.url, { username: service.username, password: attempt.password ?? service.password, clientId: attempt.clientId, protocolVersion: 4 });
      cases++;
      expect({ name: attempt.name, accepted: result.accepted }).toEqual({ name: attempt.name, accepted: attempt.accepted });
    }
  });

  test('session: a connected browser is disconnected when its credentials expire', async () => {
    const credentials = await target.issue(ALICE, 'alice_aliceShort', 2);
    const client = await connect(target.wsUrl, { ...credentials, protocolVersion: target.browserProtocol });
    expect(client.connected).toBe(true);
    await sleep(1_000);
    expect(client.connected).toBe(true);
    cases++;
    expect(await closedWithin(client, 3_000)).toBe(true);
    const again = await tryConnect(target.wsUrl, { ...credentials, protocolVersion: target.browserProtocol });
    expect(again.accepted).toBe(false);
    await client.endAsync(true);
  });

  test.each(['ws', 'tcp'] as const)('packet size over %s: an oversized browser publish is refused, a large legitimate one passes', async (transport) => {
    const small = target.name === 'embedded' ? 200 * 1024 : 900 * 1024;
    const large = target.name === 'embedded' ? 300 * 1024 : 1200 * 1024;
    // Known Mosquitto 2.0.11 gap, measured here: max_packet_size is enforced on TCP listeners but
    // not on WebSocket ones. Asserted as it is, so an upgrade that fixes it shows up.
    const largeRefused = !(target.name === 'mosquitto' && transport === 'ws');
    for (const [size, allowed] of [
      [small, true],
      [large, !largeRefused],
    ] as const) {
      const topic = scheme.topic({ userId: ALICE, chatId: chatId() }, 'request');
      // MQTT 3.1.1: an MQTT 5 client would learn Mosquitto's limit from CONNACK and refuse locally,
      // which would test the client, not the broker.
      const client = await connect(transport === 'ws' ? target.wsUrl : target.tcpUrl, { ...(await target.issue(ALICE, ALICE_TAB)), protocolVersion: 4 });
      const outcome = await publishOutcome(client, topic, Buffer.alloc(size, 'a'), { qos: 1 }, 5_000);
      await sleep(300);
      cases++;
      expect({ size, outcome, delivered: observed.some((message) => message.topic === topic) }).toEqual({ size, outcome: allowed ? 'acked' : 'closed', delivered: allowed });
      await client.endAsync(true);
    }
  });

  test('refusals are reported: audit hook (embedded) or broker log (mosquitto)', () => {
    if (target.name === 'embedded') {
      const stages = new Set(target.denied.map((event) => event.stage));
      expect([...stages].sort()).toEqual(['connect', 'expired', 'publish', 'subscribe']);
    } else {
      expect(target.logs()).toMatch(/not authori[sz]ed/i);
    }
  });
});
