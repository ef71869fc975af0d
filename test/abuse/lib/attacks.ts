/**
 * The attacks of issue 14 on the broker and on the worker, each as a loop an attacker ("mallory", a signed-in user
 * with her own valid credentials) keeps up until told to stop, and the memory each may cost the
 * broker by the documented budgets. They run in the test process, so the attacker's own memory is
 * never counted as the broker's or the worker's.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { BrokerLimits } from '../../../src/broker/limits.js';
import { encodeControl, encodeRequest } from '../../../src/transport/envelope.js';
import { TopicScheme } from '../../../src/transport/topics.js';
import { scriptBody } from '../../chaos/lib/workers.js';
import { announcedHeader, connectPacket, publishPacket, rawTcp, rawWebSocket, sendUntilClosed, subscribePacket, unsubscribePacket, type RawConnection } from '../../helpers/raw-mqtt.js';

export const ATTACKER = 'mallory';
const scheme = new TopicScheme();
const MiB = 1024 * 1024;

/** Browser credentials as the credentials endpoint issues them. */
export interface Credentials {
  username: string;
  password: string;
  clientId: string;
}

export interface AttackContext {
  mqttUrl: string;
  wsUrl: string;
  issue(userId: string): Promise<Credentials>;
  /** Client ids an attacker may have learned: the victim's and the worker's. */
  victimClientId(): string;
  workerClientId: string;
}

/** The budgets the stage reads from the broker's `stats().limits`. */
export type StageLimits = BrokerLimits & { browserMaxPacketSize: number; serviceMaxPacketSize: number };

export interface Attack {
  name: string;
  finding: string;
  /** The broker memory this attack may cost at most by the budgets (before the stage's allowance). */
  budgetMiB(limits: StageLimits): number;
  /** Starts the attack; the returned function stops it and reports what the attacker saw. */
  start(context: AttackContext): Promise<() => Promise<Record<string, number>>>;
}

/** Lets an attack body know the stop came: as a flag, and as a promise to wait on. */
interface StopSignal {
  (): boolean;
  readonly promise: Promise<void>;
}

/** Runs `lanes` copies of `body` until stopped; resolves the stop with the counts the bodies kept. */
function loop(lanes: number, body: (counts: Record<string, number>, stopped: StopSignal) => Promise<void>): () => Promise<Record<string, number>> {
  let stopped = false;
  let resolveStop!: () => void;
  const signal = Object.assign(() => stopped, { promise: new Promise<void>((resolve) => (resolveStop = resolve)) });
  const counts: Record<string, number> = {};
  const running = Array.from({ length: lanes }, async () => {
    while (!stopped) {
      await body(counts, signal).catch(async () => {
        counts.errors = (counts.errors ?? 0) + 1;
        // A body that fails before its first await would otherwise spin and starve the event loop.
        await new Promise((resolve) => setTimeout(resolve, 10));
      });
    }
  });
  return async () => {
    stopped = true;
    resolveStop();
    await Promise.all(running);
    return counts;
  };
}

const bump = (counts: Record<string, number>, key: string, by = 1) => void (counts[key] = (counts[key] ?? 0) + by);

async function rawBrowser(context: AttackContext, transport: 'tcp' | 'websocket'): Promise<RawConnection & { clientId: string }> {
  const credentials = await context.issue(ATTACKER);
  const connection = transport === 'tcp' ? await rawTcp(context.mqttUrl) : await rawWebSocket(context.wsUrl);
  await connection.send(connectPacket(credentials));
  await connection.receive(4);
  return Object.assign(connection, { clientId: credentials.clientId });
}

async function browser(context: AttackContext, extra: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const credentials = await context.issue(ATTACKER);
  return mqtt.connectAsync(context.wsUrl, { ...credentials, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000, ...extra });
}

/** A request for an answer of `tokens` scripted tokens, as the transport publishes it. */
function requestPayload(chatId: string, tokens: number, clientId: string, extra: { text?: string; metadata?: unknown } = {}): string {
  return scriptedRequest(chatId, tokens, clientId, extra).payload;
}

function scriptedRequest(chatId: string, tokens: number, clientId: string, extra: { text?: string; metadata?: unknown } = {}): { requestId: string; payload: string } {
  const key = `${ATTACKER}-${chatId}-${Math.random().toString(36).slice(2, 8)}`;
  const requestId = key.replace(/[^A-Za-z0-9_-]/g, '_');
  const payload = encodeRequest({
    requestId,
    trigger: 'submit-message',
    messages: [{ id: `m-${key}`, role: 'user', parts: [{ type: 'text', text: extra.text ?? key }], ...(extra.metadata !== undefined ? { metadata: extra.metadata } : {}) }],
    body: scriptBody({ key, tokens, delayMs: 0 }),
    clientId,
  });
  return { requestId, payload };
}

/**
 * A request whose message metadata nests `depth` levels deep (`{"a":{"a":...}}`). Written as text:
 * `JSON.stringify` itself runs out of stack on such a value.
 */
function deepRequestPayload(chatId: string, clientId: string, depth: number): string {
  const placeholder = 'DEEP_METADATA';
  const deep = `${'{"a":'.repeat(depth)}"bottom"${'}'.repeat(depth)}`;
  return requestPayload(chatId, 1, clientId, { metadata: placeholder }).replace(`"${placeholder}"`, deep);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Two lanes publishing her requests as fast as PUBACKs come back, on the chat ids `chatIdOf` names. */
async function requestFlood(context: AttackContext, chatIdOf: () => string, payloadOf: (chatId: string, clientId: string) => string): Promise<() => Promise<Record<string, number>>> {
  const client = await browser(context);
  const stop = loop(2, async (counts) => {
    const chatId = chatIdOf();
    const payload = payloadOf(chatId, client.options.clientId!);
    await client.publishAsync(scheme.topic({ userId: ATTACKER, chatId }, 'request'), payload, { qos: 1 });
    bump(counts, 'requests');
    bump(counts, 'bytes', payload.length);
  });
  return async () => {
    const counts = await stop();
    await client.endAsync(true);
    return counts;
  };
}

const F1_LANES = 3;
/** What one F1 connection pushes unless closed first: a broker buffering it shows far above the bound. */
const F1_ATTEMPT_BYTES = 32 * MiB;
const F5_READERS = 4;
/** The retained answer the F5 readers ask for again and again: ~0.5 MB. */
const F5_ANSWER_TOKENS = 20_000;
/** SUBSCRIBEs a reader sends at once (each one a retained answer it never takes), then one per 50 ms. */
const F5_BURST = 100;
const F15_CLIENTS = 4;
const F2_READERS = 2;
/** The answer the F2 readers ask to be replayed: ~2 000 chunks. */
const F2_ANSWER_TOKENS = 2_000;
/** Replay controls a stalled reader sends (issue 14: ~1 500 stalled every delivery for 60 s). */
const F2_REPLAYS = 1_500;
/** Just under the browser packet limit (256 KiB): the largest request the broker lets through. */
const F9_REQUEST_TEXT_BYTES = 250 * 1024;
/** Measured cost of one Aedes subscription is ~2.3 KiB (issue 14: 20 000 cost 47 MB); 4 KiB is the bound. */
const SUBSCRIPTION_COST_BYTES = 4 * 1024;
/** Per retained message beyond its payload (topic, packet object, map entry). */
const RETAINED_OVERHEAD_BYTES = 1024;

export const ATTACKS: Attack[] = [
  {
    name: 'oversized CONNECT',
    finding: 'F1',
    budgetMiB: (limits) => (F1_LANES * limits.maxBytesBeforeConnect) / MiB,
    async start(context) {
      return loop(F1_LANES, async (counts) => {
        const transport = counts.attempts === undefined || counts.attempts % 2 === 0 ? 'tcp' : 'websocket';
        bump(counts, 'attempts');
        const connection = transport === 'tcp' ? await rawTcp(context.mqttUrl) : await rawWebSocket(context.wsUrl);
        await connection.send(announcedHeader(0x10, 268_435_455));
        bump(counts, 'bytesSent', await sendUntilClosed(connection, Buffer.alloc(200 * 1024, 1), F1_ATTEMPT_BYTES));
        connection.destroy();
        await connection.closed;
      });
    },
  },
  {
    name: 'reader that stops reading',
    finding: 'F5',
    budgetMiB: (limits) => (F5_READERS * (limits.maxOutboundBytes + limits.serviceMaxPacketSize)) / MiB,
    async start(context) {
      // One long answer of her own, retained by the worker as the chat's `complete`...
      const requester = await browser(context);
      const completeTopic = scheme.topic({ userId: ATTACKER, chatId: 'slow' }, 'complete');
      const retained = new Promise<number>((resolve) => requester.on('message', (topic, payload) => topic === completeTopic && resolve(payload.length)));
      await requester.subscribeAsync(completeTopic, { qos: 0 });
      await requester.publishAsync(scheme.topic({ userId: ATTACKER, chatId: 'slow' }, 'request'), requestPayload('slow', F5_ANSWER_TOKENS, requester.options.clientId!), { qos: 1 });
      const completeBytes = await retained;
      await requester.endAsync(true);
      // ...then readers that stop reading and subscribe to it again and again: each tiny
      // SUBSCRIBE makes the broker send the whole retained answer into a socket nobody reads.
      const stop = loop(F5_READERS, async (counts, stopped) => {
        const reader = await rawBrowser(context, 'websocket');
        bump(counts, 'readers');
        reader.stopReading();
        // Until the broker drops it (a paused socket only learns that from a failed write).
        for (let i = 1; !reader.isClosed() && !stopped(); i++) {
          await reader.send(Buffer.concat([subscribePacket(completeTopic, i % 65_535 || 1), unsubscribePacket(completeTopic, i % 65_535 || 1)]));
          bump(counts, 'subscribes');
          if (i >= F5_BURST) await new Promise((resolve) => setTimeout(resolve, 50));
        }
        if (reader.isClosed()) bump(counts, 'readersDropped');
        reader.destroy();
      });
      return async () => ({ ...(await stop()), completeBytes });
    },
  },
  {
    name: 'persistent session',
    finding: 'F6',
    budgetMiB: () => 0,
    async start(context) {
      return loop(2, async (counts) => {
        bump(counts, 'attempts');
        const client = await browser(context, { clean: false }).catch(() => null);
        if (client) {
          bump(counts, 'accepted');
          await client.endAsync(true);
        }
      });
    },
  },
  {
    name: 'client-id takeover',
    finding: 'F8',
    budgetMiB: () => 0,
    async start(context) {
      return loop(2, async (counts) => {
        for (const clientId of [context.victimClientId(), context.workerClientId]) {
          bump(counts, 'attempts');
          const credentials = await context.issue(ATTACKER);
          const client = await mqtt.connectAsync(counts.attempts % 4 < 2 ? context.wsUrl : context.mqttUrl, { ...credentials, clientId, protocolVersion: 4, reconnectPeriod: 0 }).catch(() => null);
          if (client) {
            bump(counts, 'accepted');
            await client.endAsync(true);
          }
        }
      });
    },
  },
  {
    name: 'subscription flood',
    finding: 'F15',
    budgetMiB: (limits) => (F15_CLIENTS * limits.maxSubscriptionsPerClient * SUBSCRIPTION_COST_BYTES) / MiB,
    async start(context) {
      const clients: MqttClient[] = [];
      let offset = 0;
      const stop = loop(F15_CLIENTS, async (counts, stopped) => {
        const client = await browser(context);
        clients.push(client);
        // 5 000 filters per connection, 500 per SUBSCRIBE, then hold them.
        for (let batch = 0; batch < 10 && !stopped(); batch++) {
          const filters = Array.from({ length: 500 }, () => scheme.topic({ userId: ATTACKER, chatId: `f${offset++}` }, 'stream'));
          const codes = await client.subscribeAsync(filters, { qos: 0 }).then(
            (grants) => grants.map((grant) => grant.qos),
            (error: { packet?: { granted?: number[] } }) => error.packet?.granted ?? [],
          );
          bump(counts, 'granted', codes.filter((code) => code !== 128).length);
          bump(counts, 'refused', codes.filter((code) => code === 128).length);
        }
        await stopped.promise;
      });
      return async () => {
        const counts = await stop();
        await Promise.all(clients.map((client) => client.endAsync(true)));
        return counts;
      };
    },
  },
  {
    name: 'replay flood from a reader that stops reading',
    finding: 'F2-F4',
    budgetMiB: (limits) => (F2_READERS * (limits.maxOutboundBytes + limits.serviceMaxPacketSize)) / MiB,
    async start(context) {
      // One answer of her own to replay...
      const requester = await browser(context);
      const address = { userId: ATTACKER, chatId: 'replayed' };
      const completeTopic = scheme.topic(address, 'complete');
      const done = new Promise<void>((resolve) => requester.on('message', (topic) => topic === completeTopic && resolve()));
      await requester.subscribeAsync(completeTopic, { qos: 0 });
      const { requestId, payload } = scriptedRequest('replayed', F2_ANSWER_TOKENS, requester.options.clientId!);
      await requester.publishAsync(scheme.topic(address, 'request'), payload, { qos: 1 });
      await done;
      await requester.endAsync(true);
      // ...then readers that subscribe to their replay topic, stop reading, and ask for the whole
      // answer again and again: the worker must not push it all into sockets nobody reads.
      const stop = loop(F2_READERS, async (counts, stopped) => {
        const reader = await rawBrowser(context, 'tcp');
        bump(counts, 'readers');
        await reader.send(subscribePacket(scheme.topic(address, 'replay', reader.clientId)));
        await reader.receive(5);
        reader.stopReading();
        const control = publishPacket(scheme.topic(address, 'control'), encodeControl({ op: 'replay', requestId, fromSeq: 0, clientId: reader.clientId }));
        for (let i = 1; i <= F2_REPLAYS && !reader.isClosed() && !stopped(); i++) {
          await reader.send(control);
          bump(counts, 'replays');
          if (i % 100 === 0) await sleep(20);
        }
        // Hold the stalled socket until the stop (or until the broker drops it).
        while (!reader.isClosed() && !stopped()) await sleep(50);
        if (reader.isClosed()) bump(counts, 'readersDropped');
        reader.destroy();
      });
      return stop;
    },
  },
  {
    name: 'requests at the size limit',
    finding: 'F9',
    budgetMiB: () => 0,
    start: (context) => {
      const text = 'x'.repeat(F9_REQUEST_TEXT_BYTES);
      // The worker sizes a request before it decodes it, and her rate limit refuses most of them.
      return requestFlood(context, () => 'big', (chatId, clientId) => requestPayload(chatId, 1, clientId, { text }));
    },
  },
  {
    name: 'requests nested 5 000 deep',
    finding: 'F13',
    budgetMiB: () => 0,
    start: (context) => requestFlood(context, () => 'deep', (chatId, clientId) => deepRequestPayload(chatId, clientId, 5_000)),
  },
  {
    name: 'request flood on one chat',
    finding: 'F11-F12',
    budgetMiB: () => 0,
    // Thousands of tiny requests with fresh ids on one chat: the rate limit refuses them in the
    // chat's queue, and the worker's memory of request ids stays per user.
    start: (context) => requestFlood(context, () => 'flood', (chatId, clientId) => requestPayload(chatId, 1, clientId)),
  },
  {
    name: 'retained flood',
    finding: 'retained',
    budgetMiB: (limits) => (limits.maxRetainedBytesPerUser + limits.maxRetainedPerUser * RETAINED_OVERHEAD_BYTES) / MiB,
    start: (context) => {
      let chat = 0;
      // Tiny requests on fresh chat ids: each one makes the worker retain a status and a complete.
      return requestFlood(context, () => `r${chat++}`, (chatId, clientId) => requestPayload(chatId, 1, clientId));
    },
  },
];
