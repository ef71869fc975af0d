/**
 * Child processes of the scale benchmark, kept out of the broker's process so the broker's CPU is
 * measured alone, and split in two so neither side's event loop is the bottleneck:
 *
 * - `subscribe`: one browser-like MQTT.js client over WebSocket per chat; decodes the stream
 *   envelopes with the kit's codec, drops duplicates by sequence, records each token's arrival.
 * - `publish`: worker-like MQTT.js clients over TCP (one per 100 chats) stream one turn per chat
 *   with the kit's `publishStreamToMqtt` at a fixed rate, recording each token's emit time.
 *
 * Times are absolute (`performance.timeOrigin + performance.now()`), so the parent can pair them
 * across processes. Everything is bounded: one turn per chat, a drain deadline, a kill timer.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { publishStreamToMqtt } from '../../src/server/index.js';
import { decodeStream, TopicScheme } from '../../src/transport/index.js';
import type { UIMessageChunk } from 'ai';
import { TokenClock } from '../lib/source.js';
import { sharedPacer } from '../lib/shared-pacer.js';
import { USER_ID, chatIdFor } from '../lib/contenders.js';

export type LoadMessage =
  | { role: 'subscribe'; wsUrl: string; chats: number }
  | { role: 'publish'; mqttUrl: string; chats: number; tokensPerSecond: number; seconds: number; mergeWindowMs?: number }
  | { role: 'finish'; expectedPerChat: number; drainMs: number };

export interface SubscribeReport {
  arrivals: number[][];
  duplicates: number;
  messages: number;
  errors: string[];
  cpuSeconds: number;
}

export interface PublishReport {
  emitted: number[][];
  startedAt: number;
  endedAt: number;
  errors: string[];
  cpuSeconds: number;
}

const topics = new TopicScheme();
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const absolute = (t: number) => performance.timeOrigin + t;

async function inBatches<T>(count: number, size: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += size) out.push(...(await Promise.all(Array.from({ length: Math.min(size, count - i) }, (_, k) => make(i + k)))));
  return out;
}

async function subscribe(params: Extract<LoadMessage, { role: 'subscribe' }>): Promise<void> {
  const { chats } = params;
  const arrivals: number[][] = Array.from({ length: chats }, () => []);
  const nextSeq = new Array<number>(chats).fill(0);
  const errors: string[] = [];
  let duplicates = 0;
  let messages = 0;
  const clients: MqttClient[] = await inBatches(chats, 50, async (i) => {
    const client = await mqtt.connectAsync(params.wsUrl, { reconnectPeriod: 0, keepalive: 120 });
    client.on('message', (_topic, payload) => {
      messages++;
      const now = absolute(performance.now());
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
        for (let c = 0; c < chunk.delta.length; c++) if (chunk.delta.charCodeAt(c) === 32) arrivals[i].push(now);
      }
    });
    await client.subscribeAsync(topics.topic({ userId: USER_ID, chatId: chatIdFor(i) }, 'stream'), { qos: 0 });
    return client;
  });
  process.send!({ ready: true });
  process.once('message', async (message: LoadMessage) => {
    if (message.role !== 'finish') return;
    const deadline = performance.now() + message.drainMs;
    const complete = () => arrivals.every((a) => a.length >= message.expectedPerChat);
    while (!complete() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    const report: SubscribeReport = { arrivals, duplicates, messages, errors: errors.slice(0, 5), cpuSeconds: cpuSeconds() };
    process.send!(report, () => process.exit(0));
  });
}

async function publish(params: Extract<LoadMessage, { role: 'publish' }>): Promise<void> {
  const { chats, tokensPerSecond, seconds } = params;
  const tokens = Math.round(tokensPerSecond * seconds);
  const clocks = Array.from({ length: chats }, () => new TokenClock());
  const errors: string[] = [];
  // Worker-like publishers: one connection carries up to 100 chats, as a worker process would.
  const publishers = await inBatches(Math.ceil(chats / 100), 10, () => mqtt.connectAsync(params.mqttUrl, { reconnectPeriod: 0 }));
  for (const p of publishers) (p.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  const startedAt = absolute(performance.now());
  const sources = sharedPacer(chats, tokens, tokensPerSecond, clocks);
  await Promise.all(
    Array.from({ length: chats }, async (_, i) => {
      const source = sources[i];
      try {
        await publishStreamToMqtt(publishers[Math.floor(i / 100)] as never, { userId: USER_ID, chatId: chatIdFor(i) }, source, {
          replayGraceMs: 0,
          ...(params.mergeWindowMs === undefined ? {} : { mergeWindowMs: params.mergeWindowMs }),
        });
      } catch (error) {
        errors.push(`turn ${i}: ${String(error)}`);
      }
    }),
  );
  const endedAt = absolute(performance.now());
  await Promise.all(publishers.map((c) => c.endAsync().catch(() => undefined)));
  const report: PublishReport = { emitted: clocks.map((c) => c.emitted.map(absolute)), startedAt, endedAt, errors: errors.slice(0, 5), cpuSeconds: cpuSeconds() };
  process.send!(report, () => process.exit(0));
}

process.once('message', (message: LoadMessage) => {
  const run = message.role === 'subscribe' ? subscribe(message) : message.role === 'publish' ? publish(message) : Promise.resolve();
  run.catch((error) => process.send!({ error: String(error) }, () => process.exit(1)));
});
