/**
 * Test 7 of the conversations issue: hydrating a stored chat on a device. Ours asks over MQTT
 * (`history` queries on `~/query`, answers on `~/answer/{clientId}`) newest first: one first screen,
 * then older pages until `hasOlder` is false. Against it, the AI SDK pattern: an HTTP GET route that
 * returns the chat's `UIMessage[]` as JSON, read whole before anything shows. Both read the same
 * PGlite store in a temp dir (the worker's own query responder answers the MQTT side), both
 * clients are already connected (a page that is open), both measured from the client side of the
 * wire, interleaved.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import mqtt, { type MqttClient } from 'mqtt';
import type { UIMessage } from 'ai';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/index.js';
import { createPgliteChatStore } from '../../src/server/store/pglite-engine.js';
import type { ChatStore } from '../../src/server/store/chat-store.js';
import type { MessagePage } from '../../src/transport/conversation.js';
import { decodeAnswer, encodeQuery } from '../../src/transport/envelope.js';
import { TopicScheme } from '../../src/transport/topics.js';
import { createChatWorker, type ChatWorker } from '../../src/server/chat-worker.js';
import { fmt, rotate, summarize, table } from '../lib/stats.js';
import type { SuiteContext, SuiteResult } from '../lib/suite.js';
import { bytesReadFrom } from '../lib/wire-bytes.js';
import { USER_ID } from '../lib/contenders.js';

/** Messages on the first screen (what a chat window shows before scrolling). */
export const FIRST_SCREEN = 20;
/** Messages per older page while scrolling up. */
export const OLDER_PAGE = 100;

interface Sample {
  firstMs: number;
  allMs: number;
  bytes: number;
  roundTrips: number;
}

interface Contender {
  name: string;
  hydrate(chatId: string, size: number): Promise<Sample>;
  close(): Promise<void>;
}

export interface HydrationRow {
  size: number;
  contender: string;
  firstScreen: ReturnType<typeof summarize>;
  all: ReturnType<typeof summarize>;
  bytes: number;
  roundTrips: number;
}

const chatIdOf = (size: number) => `hydrate-${size}`;

const WORDS = (
  'the a of to and in is that for it on with as was be by this are or from at an but not have which one all were they can when there has more if will their what so about would out up into do time some could them other than then its only new also two may like these any after first most over well where through because such between many those both under while being same each how must however might since during another'
).split(' ');

/** Deterministic words, so every run stores the same text and compressors see prose, not repeats. */
function prose(seed: number, words: number): string {
  let state = seed * 2654435761 + 1;
  const next = () => ((state = (Math.imul(state ^ (state >>> 15), 2246822507) + 0x6d2b79f5) >>> 0) % WORDS.length);
  return Array.from({ length: words }, (_, i) => (i % 14 === 13 ? `${WORDS[next()]}.` : WORDS[next()])).join(' ');
}

/** A realistic conversation: short prompts, markdown answers of ~1.5 KB. */
function conversation(size: number): UIMessage[] {
  const answer = (i: number) =>
    `${prose(i, 30)}\n\n` + Array.from({ length: 5 }, (_, k) => `- **${prose(i * 7 + k, 2)}**: ${prose(i * 13 + k, 35)}\n`).join('') + `\n\`\`\`ts\nconst step${i} = await run(${i});\n\`\`\`\n`;
  return Array.from({ length: size }, (_, i) =>
    i % 2 === 0
      ? { id: `msg-${size}-${i}`, role: 'user', parts: [{ type: 'text', text: `${prose(i, 12)}?` }] }
      : { id: `msg-${size}-${i}`, role: 'assistant', parts: [{ type: 'step-start' }, { type: 'text', text: answer(i), state: 'done' }] },
  );
}

async function seed(store: ChatStore, size: number): Promise<void> {
  const messages = conversation(size);
  for (let i = 0; i < messages.length; i += 500) {
    await store.saveMessages({ userId: USER_ID, chatId: chatIdOf(size) }, messages.slice(i, i + 500).map((message) => ({ message })));
  }
}

/** Ours: history queries over MQTT over WebSocket, newest page first. */
async function startMqtt(name: string, store: ChatStore, compression: boolean): Promise<Contender> {
  const broker: EmbeddedBroker = await startEmbeddedBroker({ port: 0, wsPort: 0, compression });
  // The real worker answers the queries (its QueryResponder); no turn runs in this suite.
  const worker: ChatWorker = await createChatWorker({
    url: broker.mqttUrl,
    store,
    rateLimit: false,
    queryRateLimit: false,
    handler: () => {
      throw new Error('hydration bench: no turns');
    },
  });
  const topics = new TopicScheme();
  const clientId = `bench-device-${compression ? 'z' : 'p'}`;
  const client: MqttClient = await mqtt.connectAsync(broker.wsUrl, { clientId, reconnectPeriod: 0 });
  const waiting = new Map<string, (page: MessagePage) => void>();
  client.on('message', (_topic, payload) => {
    const answer = decodeAnswer(payload);
    if (!answer.ok || 'error' in answer.value) return;
    waiting.get(answer.value.queryId)?.(answer.value.result as MessagePage);
  });
  await client.subscribeAsync(topics.userTopic(USER_ID, 'answer', clientId), { qos: 1 });
  let queries = 0;
  const ask = (chatId: string, bounds: { before?: number; limit: number }) =>
    new Promise<MessagePage>((resolve) => {
      const queryId = `q${++queries}`;
      waiting.set(queryId, (page) => {
        waiting.delete(queryId);
        resolve(page);
      });
      client.publish(topics.userTopic(USER_ID, 'query'), encodeQuery({ queryId, clientId, op: 'history', chatId, ...bounds }), { qos: 1 });
    });
  return {
    name,
    async hydrate(chatId, size) {
      const bytesBefore = bytesReadFrom(broker.wsPort!);
      const started = performance.now();
      let page = await ask(chatId, { limit: FIRST_SCREEN });
      const firstMs = performance.now() - started;
      let held = page.messages.length;
      let roundTrips = 1;
      while (page.hasOlder) {
        page = await ask(chatId, { before: page.messages[0].position, limit: OLDER_PAGE });
        held += page.messages.length;
        roundTrips++;
      }
      const allMs = performance.now() - started;
      if (held !== size) throw new Error(`${name}: hydrated ${held} of ${size} messages`);
      return { firstMs, allMs, bytes: bytesReadFrom(broker.wsPort!) - bytesBefore, roundTrips };
    },
    async close() {
      await client.endAsync();
      await worker.close();
      await broker.close();
    },
  };
}

/** The AI SDK pattern: a GET route returning the chat's messages as JSON, optionally gzipped. */
async function startHttp(name: string, store: ChatStore, gzip: boolean): Promise<Contender> {
  const server: Server = createServer((req, res) => {
    const chatId = new URL(req.url ?? '/', 'http://x').searchParams.get('chatId') ?? '';
    store.loadMessages({ userId: USER_ID, chatId }).then(
      (page) => {
        const json = JSON.stringify(page.messages.map((m) => m.message));
        const body = gzip ? gzipSync(json) : Buffer.from(json);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, ...(gzip ? { 'content-encoding': 'gzip' } : {}) }).end(body);
      },
      () => res.writeHead(500).end(),
    );
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  return {
    name,
    async hydrate(chatId, size) {
      const bytesBefore = bytesReadFrom(port);
      const started = performance.now();
      const response = await fetch(`http://127.0.0.1:${port}/api/messages?chatId=${chatId}`, { headers: { 'accept-encoding': gzip ? 'gzip' : 'identity' } });
      const messages = (await response.json()) as UIMessage[];
      const allMs = performance.now() - started;
      if (messages.length !== size) throw new Error(`${name}: got ${messages.length} of ${size} messages`);
      // Nothing shows before the whole body is parsed: the first screen is the whole chat.
      return { firstMs: allMs, allMs, bytes: bytesReadFrom(port) - bytesBefore, roundTrips: 1 };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function runHydration(ctx: SuiteContext): Promise<SuiteResult> {
  const sizes = ctx.quick ? [100, 1_000] : [100, 1_000, 10_000];
  const repsFor = (size: number) => (size >= 10_000 ? 3 : size >= 1_000 ? (ctx.quick ? 3 : 7) : ctx.quick ? 5 : 15);
  const dir = mkdtempSync(join(tmpdir(), 'bench-hydration-'));
  const store = await createPgliteChatStore({ dataDir: dir });
  const contenders: Contender[] = [];
  try {
    for (const size of sizes) {
      ctx.log(`hydration: seeding a ${size}-message chat`);
      await seed(store, size);
    }
    contenders.push(
      await startMqtt('mqtt newest-first', store, false),
      await startMqtt('mqtt newest-first + deflate', store, true),
      await startHttp('http GET all (AI SDK)', store, false),
      await startHttp('http GET all, gzip', store, true),
    );
    // One untimed pass: JIT, PGlite's caches and keep-alive connections are warm for everyone.
    for (const c of contenders) await c.hydrate(chatIdOf(sizes[0]), sizes[0]);
    const rows: HydrationRow[] = [];
    for (const size of sizes) {
      const samples = new Map<Contender, Sample[]>(contenders.map((c) => [c, []]));
      for (let r = 0; r < repsFor(size); r++) {
        for (const c of rotate(contenders, r)) samples.get(c)!.push(await c.hydrate(chatIdOf(size), size));
      }
      for (const c of contenders) {
        const s = samples.get(c)!;
        rows.push({ size, contender: c.name, firstScreen: summarize(s.map((x) => x.firstMs)), all: summarize(s.map((x) => x.allMs)), bytes: s[0].bytes, roundTrips: s[0].roundTrips });
      }
      ctx.log(`hydration: ${size} messages done`);
    }
    const reference = (size: number) => rows.find((r) => r.size === size && r.contender === 'http GET all (AI SDK)')!;
    const body = table(
      ['messages', 'contender', 'first screen p50 ms', 'all p50 ms', 'all p95 ms', 'bytes read', 'bytes vs GET', 'first screen vs GET', 'round trips'],
      rows.map((r) => [
        String(r.size),
        r.contender,
        r.firstScreen.p50,
        r.all.p50,
        r.all.p95,
        r.bytes.toLocaleString('en-US'),
        `${fmt(r.bytes / reference(r.size).bytes)}x`,
        `${fmt(r.firstScreen.p50 / reference(r.size).firstScreen.p50)}x`,
        String(r.roundTrips),
      ]),
    );
    return {
      tables: [
        {
          title: `Hydration of a stored chat: MQTT history queries (first screen ${FIRST_SCREEN}, older pages of ${OLDER_PAGE}) vs an HTTP GET of the whole chat, same PGlite store`,
          body,
        },
      ],
      data: { firstScreen: FIRST_SCREEN, olderPage: OLDER_PAGE, responder: "the worker's QueryResponder (createChatWorker)", rows },
    };
  } finally {
    for (const c of contenders) await c.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
