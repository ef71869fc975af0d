/**
 * TCP_NODELAY on the publishing side: a turn published with `publishStreamToMqtt` on a plain
 * MQTT.js TCP client (as the HTTP trigger does with the app's client), with the kit's default
 * (NODELAY set at turn start) vs Nagle's algorithm (NODELAY cleared again right after the kit set
 * it). Same broker, interleaved turns, one WebSocket subscriber.
 */
import mqtt from 'mqtt';
import { startEmbeddedBroker } from '../../src/broker/index.js';
import { publishStreamToMqtt } from '../../src/server/index.js';
import { decodeStream, TopicScheme } from '../../src/transport/index.js';
import { pacedSource, TokenClock } from '../lib/source.js';
import { fmt, rotate, sleep, summarize, table } from '../lib/stats.js';
import type { SuiteContext, SuiteResult } from '../lib/suite.js';

const MODES = ['TCP_NODELAY (kit default)', 'Nagle (socket default)'] as const;

export async function runNoDelay(ctx: SuiteContext): Promise<SuiteResult> {
  const broker = await startEmbeddedBroker({ port: 0, wsPort: 0 });
  const topics = new TopicScheme();
  const subscriber = await mqtt.connectAsync(broker.wsUrl, { reconnectPeriod: 0 });
  const latencies = new Map<string, number[]>(MODES.map((m) => [m, []]));
  const reps = ctx.quick ? 6 : 12;
  try {
    for (let rep = 0; rep < reps; rep++) {
      for (const mode of rotate(MODES, rep)) {
        // A fresh connection per turn: Nagle bites hardest on a young connection.
        const publisher = await mqtt.connectAsync(broker.mqttUrl, { reconnectPeriod: 0 });
        (publisher.stream as unknown as { setNoDelay(on: boolean): void }).setNoDelay(false);
        const chatId = `nd${rep}${mode === MODES[0] ? 'a' : 'b'}`;
        const topic = topics.topic({ userId: 'user_bench', chatId }, 'stream');
        await subscriber.subscribeAsync(topic, { qos: 0 });
        const clock = new TokenClock();
        let received = 0;
        const onMessage = (t: string, payload: Uint8Array) => {
          if (t !== topic) return;
          const now = performance.now();
          const decoded = decodeStream(payload);
          if (!decoded.ok) return;
          for (const chunk of decoded.value.chunks) {
            if (chunk.type !== 'text-delta') continue;
            for (let i = 0; i < chunk.delta.length; i++) if (chunk.delta.charCodeAt(i) === 32) latencies.get(mode)!.push(now - clock.emitted[received++]);
          }
        };
        subscriber.on('message', onMessage);
        const turn = publishStreamToMqtt(publisher as never, { userId: 'user_bench', chatId }, pacedSource({ tokens: 50, tokensPerSecond: 50, clock }), { replayGraceMs: 0 });
        // The kit set NODELAY synchronously at the start of the call: undo it for the Nagle run.
        if (mode === MODES[1]) (publisher.stream as unknown as { setNoDelay(on: boolean): void }).setNoDelay(false);
        await turn;
        await sleep(100);
        subscriber.off('message', onMessage);
        await subscriber.unsubscribeAsync(topic);
        await publisher.endAsync();
      }
    }
  } finally {
    await subscriber.endAsync(true);
    await broker.close();
  }
  const rows = MODES.map((mode) => ({ mode, latency: summarize(latencies.get(mode)!) }));
  return {
    tables: [
      {
        title: 'TCP_NODELAY on the publisher (publishStreamToMqtt on a plain MQTT.js TCP client, 50 tok/s, embedded broker)',
        body: table(['publisher socket', 'tokens', 'p50 ms', 'p99 ms', 'max ms'], rows.map((r) => [r.mode, String(r.latency.n), r.latency.p50, r.latency.p99, r.latency.max])),
      },
    ],
    data: { rows },
  };
}
