/**
 * The embedded broker's WebSocket choices, measured: stock per-write framing (ws'
 * `createWebSocketStream`, what Aedes examples use) vs the kit's one frame per packet, with and
 * without permessage-deflate, and without TCP_NODELAY on the broker's sockets.
 * A: our transport end to end (latency, bytes per token, TTFT) at 50 and 1 000 tok/s, SSE as reference.
 * B: raw fan-out: one TCP publisher, WebSocket subscribers, messages per second delivered.
 */
import mqtt from 'mqtt';
import { startOurs, startSse, type Contender } from '../lib/contenders.js';
import { measureRates, warmUp } from '../lib/measure.js';
import { fmt, table } from '../lib/stats.js';
import type { SuiteContext, SuiteResult } from '../lib/suite.js';
import { startVariantBroker, type VariantBrokerOptions } from '../lib/variant-broker.js';
import { bytesTable, latencyTable, measureTtft } from './latency.js';

const VARIANTS: { label: string; options: VariantBrokerOptions }[] = [
  { label: 'stock framing', options: { framing: 'stock', deflate: false } },
  { label: 'frame per packet', options: { framing: 'coalescing', deflate: false } },
  { label: 'frame per packet + deflate', options: { framing: 'coalescing', deflate: true } },
  { label: 'frame per packet, no NODELAY', options: { framing: 'coalescing', deflate: false, noDelay: false } },
];

export async function runFraming(ctx: SuiteContext): Promise<SuiteResult> {
  const contenders: Contender[] = [];
  for (const v of VARIANTS) {
    const broker = await startVariantBroker(v.options);
    contenders.push(await startOurs({ broker: 'aedes', mqttUrl: broker.mqttUrl, wsUrl: broker.wsUrl, wsPort: broker.wsPort, label: v.label, onClose: broker.close }));
  }
  contenders.push(await startSse());
  const chatOf = (c: Contender) => `chat00000000000${contenders.indexOf(c)}`;
  let rows, ttft;
  try {
    await warmUp(contenders, chatOf);
    rows = await measureRates(contenders, chatOf, [50, 1000], { reps: ctx.quick ? 2 : 3, secondsPerTurn: ctx.quick ? 1.5 : 3, log: (m) => ctx.log(`framing: ${m}`) });
    ttft = await measureTtft(contenders, chatOf, ctx.quick ? 6 : 15);
  } finally {
    for (const c of contenders) await c.close();
  }
  const fanout = await measureFanout(ctx);
  return {
    tables: [
      { title: 'Embedded broker WebSocket variants: token latency (our transport)', body: latencyTable(rows) },
      { title: 'Embedded broker WebSocket variants: bytes per token read by the client', body: bytesTable(rows) },
      { title: 'Embedded broker WebSocket variants: TTFT overhead', body: table(['variant', 'p50 ms', 'p95 ms', 'request leg p50 ms'], ttft.map((t) => [t.contender, t.overhead.p50, t.overhead.p95, t.requestLeg.p50])) },
      {
        title: 'Embedded broker WebSocket variants: fan-out throughput (1 TCP publisher, WebSocket subscribers, QoS 0)',
        body: table(['variant', 'subscribers', 'messages', 'delivered msgs/s', 'vs stock'], fanout.map((f) => [f.label, String(f.subscribers), String(f.messages), fmt(f.perSecond, 0), `${fmt(f.perSecond / fanout[0].perSecond)}x`])),
      },
    ],
    data: { rows, ttft, fanout },
  };
}

interface FanoutRow {
  label: string;
  subscribers: number;
  messages: number;
  perSecond: number;
}

/** Publishes a burst of token-sized messages and times their delivery to every subscriber. */
async function measureFanout(ctx: SuiteContext): Promise<FanoutRow[]> {
  const subscribers = ctx.quick ? 10 : 20;
  const messages = ctx.quick ? 2_000 : 5_000;
  const payload = JSON.stringify({ v: 1, r: 'AbCdEfGhIjKlMnOp', s: 123, c: [{ type: 'text-delta', id: 't0', delta: ' model' }] });
  const rows: FanoutRow[] = [];
  for (const v of VARIANTS.filter((x) => x.options.noDelay !== false)) {
    const broker = await startVariantBroker(v.options);
    const subs = await Promise.all(Array.from({ length: subscribers }, () => mqtt.connectAsync(broker.wsUrl, { reconnectPeriod: 0 })));
    const pub = await mqtt.connectAsync(broker.mqttUrl, { reconnectPeriod: 0 });
    let received = 0;
    const total = subscribers * messages;
    const done = new Promise<void>((resolve) => {
      for (const s of subs) s.on('message', () => ++received === total && resolve());
    });
    await Promise.all(subs.map((s) => s.subscribeAsync('bench/fanout', { qos: 0 })));
    const started = performance.now();
    // Paced in slices so the publisher's own buffer does not dominate; bounded by count and time.
    for (let i = 0; i < messages; i++) {
      pub.publish('bench/fanout', payload, { qos: 0 });
      if (i % 200 === 199) await new Promise((r) => setImmediate(r));
    }
    await Promise.race([done, new Promise((r) => setTimeout(r, 30_000))]);
    const seconds = (performance.now() - started) / 1000;
    rows.push({ label: v.label, subscribers, messages, perSecond: received / seconds });
    await pub.endAsync(true);
    await Promise.all(subs.map((s) => s.endAsync(true)));
    await broker.close();
    ctx.log(`framing: fan-out ${v.label}: ${fmt(received / seconds, 0)} msgs/s (${received}/${total})`);
  }
  return rows;
}
