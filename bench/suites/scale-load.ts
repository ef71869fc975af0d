/**
 * Child process of the scale benchmark: the load, kept out of the broker's process so the
 * broker's CPU can be measured alone. Worker-like publishers (MQTT.js over TCP, the kit's
 * `publishStreamToMqtt`) stream one turn per chat at a fixed rate; one browser-like subscriber
 * per chat (MQTT.js over WebSocket) decodes the stream envelopes with the kit's codec, drops
 * duplicates by sequence, and times every token against its emit stamp (same process clock).
 * Bounded: connects, one turn per chat, then a drain deadline. Reports one JSON message.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { publishStreamToMqtt } from '../../src/server/index.js';
import { decodeStream, TopicScheme } from '../../src/transport/index.js';
import { pacedSource, TokenClock } from '../lib/source.js';
import { USER_ID, chatIdFor } from '../lib/contenders.js';

export interface LoadParams {
  mqttUrl: string;
  wsUrl: string;
  chats: number;
  tokensPerSecond: number;
  seconds: number;
  mergeWindowMs?: number;
}

export interface LoadReport {
  chats: number;
  expected: number;
  received: number;
  duplicates: number;
  streamSeconds: number;
  latencies: number[];
  messages: number;
  connectSeconds: number;
  errors: string[];
}

const topics = new TopicScheme();

async function inBatches<T>(count: number, size: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += size) out.push(...(await Promise.all(Array.from({ length: Math.min(size, count - i) }, (_, k) => make(i + k)))));
  return out;
}

async function run(params: LoadParams): Promise<LoadReport> {
  const { chats, tokensPerSecond, seconds } = params;
  const tokens = Math.round(tokensPerSecond * seconds);
  const errors: string[] = [];
  const clocks = Array.from({ length: chats }, () => new TokenClock());
  const received = new Array<number>(chats).fill(0);
  const nextSeq = new Array<number>(chats).fill(0);
  const latencies: number[] = [];
  let duplicates = 0;
  let messages = 0;

  const connectStart = performance.now();
  const subscribers: MqttClient[] = await inBatches(chats, 50, async (i) => {
    const client = await mqtt.connectAsync(params.wsUrl, { reconnectPeriod: 0, keepalive: 60 });
    const topic = topics.topic({ userId: USER_ID, chatId: chatIdFor(i) }, 'stream');
    client.on('message', (_t, payload) => {
      messages++;
      const now = performance.now();
      const decoded = decodeStream(payload);
      if (!decoded.ok) return void errors.push(`chat ${i}: ${decoded.reason}`);
      const { seq, chunks } = decoded.value;
      for (let k = 0; k < chunks.length; k++) {
        if (seq + k < nextSeq[i]) {
          duplicates++;
          continue;
        }
        nextSeq[i] = seq + k + 1;
        const chunk = chunks[k];
        if (chunk.type !== 'text-delta') continue;
        for (let c = 0; c < chunk.delta.length; c++) {
          if (chunk.delta.charCodeAt(c) === 32) latencies.push(now - clocks[i].emitted[received[i]++]);
        }
      }
    });
    await client.subscribeAsync(topic, { qos: 0 });
    return client;
  });
  // Worker-like publishers: one connection carries up to 100 chats, as a worker process would.
  const publishers = await inBatches(Math.ceil(chats / 100), 10, () => mqtt.connectAsync(params.mqttUrl, { reconnectPeriod: 0 }));
  for (const p of publishers) (p.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  const connectSeconds = (performance.now() - connectStart) / 1000;

  const streamStart = performance.now();
  // Turns start spread over one token interval, like independent users.
  const turns = Array.from({ length: chats }, async (_, i) => {
    await new Promise((r) => setTimeout(r, (i * (1000 / tokensPerSecond)) / chats));
    const source = pacedSource({ tokens, tokensPerSecond, clock: clocks[i] });
    try {
      await publishStreamToMqtt(publishers[Math.floor(i / 100)] as never, { userId: USER_ID, chatId: chatIdFor(i) }, source, {
        replayGraceMs: 0,
        ...(params.mergeWindowMs === undefined ? {} : { mergeWindowMs: params.mergeWindowMs }),
      });
    } catch (error) {
      errors.push(`turn ${i}: ${String(error)}`);
    }
  });
  await Promise.all(turns);
  const expected = chats * tokens;
  // Drain: everything published must arrive; give up after a bounded wait.
  const deadline = performance.now() + 15_000;
  const total = () => received.reduce((a, b) => a + b, 0);
  while (total() < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const streamSeconds = (performance.now() - streamStart) / 1000;
  await Promise.all([...subscribers, ...publishers].map((c) => c.endAsync(true).catch(() => undefined)));
  return { chats, expected, received: total(), duplicates, streamSeconds, latencies, messages, connectSeconds, errors: errors.slice(0, 5) };
}

process.once('message', (params: LoadParams) => {
  run(params).then(
    (report) => process.send!(report, () => process.exit(0)),
    (error) => process.send!({ error: String(error) }, () => process.exit(1)),
  );
});
