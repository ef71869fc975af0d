/**
 * Child processes of the capacity benchmark (`capacity.ts`), each pinned to a core by the parent:
 *
 * - `mqtt-publish` (server core): worker-like MQTT.js publishers over TCP, one per 100 chats,
 *   streaming every chat with the kit's `publishStreamToMqtt` on a shared schedule; optionally
 *   with the adaptive coalescer (`src/server/adaptive-coalescer.ts`) passed to it, as the worker does.
 * - `sse-server` / `ai-ws-server` (server core): the AI SDK's SSE response
 *   (`pipeUIMessageStreamToResponse`) and a WebSocket server speaking `WebSocketChatTransport`'s
 *   frames, both fed by the same schedule.
 * - `subscribe` (load core): one cheap subscriber per chat: raw MQTT over WebSocket decoded with
 *   `mqtt-packet`, a plain HTTP reader of SSE lines, or a raw WebSocket. It records each token's
 *   delay from the moment it was due, which includes the server's own lateness.
 *
 * Protocol (IPC): parent sends the role's config; child answers `{ ready }`; parent sends
 * `{ go, startAt }` (absolute ms); child answers its report when done.
 */
import { createServer, request as httpRequest } from 'node:http';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { WebSocket, WebSocketServer } from 'ws';
import { pipeUIMessageStreamToResponse, type UIMessageChunk } from 'ai';
import { publishStreamToMqtt, AdaptiveCoalescer } from '../../src/server/index.js';
import { decodeStream, TopicScheme } from '../../src/transport/index.js';
import { sharedPacer, scheduledAt } from '../lib/shared-pacer.js';
import { TokenClock } from '../lib/source.js';
import { USER_ID, chatIdFor } from '../lib/contenders.js';

export type SubscriberKind = 'mqtt-ws' | 'sse' | 'ai-ws';

export type CapacityMessage =
  | { role: 'mqtt-publish'; urls: string[]; chats: number; rate: number; seconds: number; adaptive: boolean }
  | { role: 'sse-server' | 'ai-ws-server'; chats: number; rate: number; seconds: number }
  | { role: 'subscribe'; kind: SubscriberKind; urls: string[]; chats: number; rate: number; seconds: number }
  | { go: true; startAt: number };

export interface SubscribeReport {
  latencies: number[];
  received: number;
  errors: string[];
  /** This process's CPU from the go signal to its report, s (it exits right after, so the parent cannot read it). */
  cpuSecondsSinceGo: number;
}

export interface ServerReport {
  port?: number;
  errors: string[];
  /** Adaptive publishers: the widest window the coalescer chose, ms. */
  maxWindowMs?: number;
  /** Stream messages sent (MQTT publishers). */
  messages?: number;
  /** MQTT publishers: CPU from the go signal to the report, s (the process exits right after). */
  cpuSecondsSinceGo?: number;
}

const topics = new TopicScheme();
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const toLocal = (absolute: number) => absolute - performance.timeOrigin;
const send = (message: object) => process.send!(message);
const nextGo = () => new Promise<number>((resolve) => process.on('message', (m: CapacityMessage) => 'go' in m && resolve(m.startAt)));

async function inBatches<T>(count: number, size: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += size) out.push(...(await Promise.all(Array.from({ length: Math.min(size, count - i) }, (_, k) => make(i + k)))));
  return out;
}

async function mqttPublish(params: Extract<CapacityMessage, { role: 'mqtt-publish' }>): Promise<void> {
  const { chats, rate, seconds } = params;
  const tokens = Math.round(rate * seconds);
  const errors: string[] = [];
  // One connection per 100 chats, as a worker would hold, and at least one per broker URL: with one
  // connection, a cluster's publishes would all enter through one node.
  const connections = Math.max(Math.ceil(chats / 100), params.urls.length);
  const publishers = await inBatches(connections, 10, (j) => mqtt.connectAsync(params.urls[j % params.urls.length], { reconnectPeriod: 0 }));
  for (const p of publishers) (p.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  // One coalescer per connection, as createChatWorker keeps one: the TurnPublisher feeds it each
  // stream publish's completion lag and the socket backlog, and asks it for the merge window.
  const coalescers = publishers.map(() => (params.adaptive ? new AdaptiveCoalescer() : undefined));
  let maxWindowMs = 0;
  const windowWatch = params.adaptive ? setInterval(() => (maxWindowMs = Math.max(maxWindowMs, ...coalescers.map((c) => c?.windowMs() ?? 0))), 20) : undefined;
  let messages = 0;
  for (const p of publishers) {
    const publish = p.publish.bind(p);
    p.publish = ((...args: Parameters<MqttClient['publish']>) => {
      messages++;
      return publish(...args);
    }) as MqttClient['publish'];
  }
  send({ ready: true });
  const startAt = await nextGo();
  const cpuAtGo = cpuSeconds();
  const clocks = Array.from({ length: chats }, () => new TokenClock());
  const sources = sharedPacer(chats, tokens, rate, clocks, toLocal(startAt));
  await Promise.all(
    sources.map(async (source, i) => {
      const j = i % connections;
      try {
        await publishStreamToMqtt(publishers[j] as never, { userId: USER_ID, chatId: chatIdFor(i) }, source, { replayGraceMs: 0, coalescer: coalescers[j] });
      } catch (error) {
        errors.push(`chat ${i}: ${String(error)}`);
      }
    }),
  );
  clearInterval(windowWatch);
  await Promise.all(publishers.map((p) => p.endAsync().catch(() => undefined)));
  const report: ServerReport = { errors: errors.slice(0, 5), maxWindowMs, messages, cpuSecondsSinceGo: cpuSeconds() - cpuAtGo };
  process.send!(report, () => process.exit(0));
}

/** The AI SDK SSE route and the AI SDK WebSocket protocol, each holding its clients until `go`. */
async function aiServer(params: Extract<CapacityMessage, { role: 'sse-server' | 'ai-ws-server' }>): Promise<void> {
  const { chats, rate, seconds } = params;
  const tokens = Math.round(rate * seconds);
  const errors: string[] = [];
  const waiting: ((stream: ReadableStream<UIMessageChunk>) => void)[] = new Array(chats);
  let attached = 0;
  const server = createServer((req, res) => {
    const i = Number(req.url?.split('/').pop());
    req.resume();
    // The response starts at once with the turn's `start` chunk, as a route answering a POST
    // does; the rest follows the shared schedule from `go` on.
    const relay = new TransformStream<UIMessageChunk, UIMessageChunk>();
    pipeUIMessageStreamToResponse({ response: res, stream: relay.readable });
    const writer = relay.writable.getWriter();
    void writer.write({ type: 'start' });
    waiting[i] = (stream) =>
      void (async () => {
        const reader = stream.getReader();
        await reader.read(); // the schedule's own `start`, already sent
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          await writer.write(value);
        }
        await writer.close();
      })().catch((error) => errors.push(String(error)));
    attached++;
  });
  if (params.role === 'ai-ws-server') {
    const wss = new WebSocketServer({ server, perMessageDeflate: false });
    wss.on('connection', (socket) => {
      socket.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { type: string; requestId: string };
        if (frame.type !== 'send') return;
        const { requestId } = frame;
        const i = Number(requestId);
        socket.send(JSON.stringify({ type: 'start', requestId }));
        waiting[i] = (stream) =>
          void (async () => {
            const reader = stream.getReader();
            let sequence = 0;
            for (;;) {
              const { value, done } = await reader.read();
              if (done) break;
              socket.send(JSON.stringify({ type: 'chunk', requestId, sequence: sequence++, chunk: value }));
            }
            socket.send(JSON.stringify({ type: 'end', requestId }));
          })().catch((error) => errors.push(String(error)));
        attached++;
      });
    });
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  send({ ready: true, port: (server.address() as { port: number }).port });
  const startAt = await nextGo();
  if (attached !== chats) errors.push(`${attached} of ${chats} clients attached before go`);
  const clocks = Array.from({ length: chats }, () => new TokenClock());
  const sources = sharedPacer(chats, tokens, rate, clocks, toLocal(startAt));
  sources.forEach((stream, i) => waiting[i]?.(stream));
  // The parent ends this process once the subscribers have drained.
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000 + 20_000).unref());
  process.send!({ errors } satisfies ServerReport);
}

async function subscribe(params: Extract<CapacityMessage, { role: 'subscribe' }>): Promise<void> {
  const { chats, rate, seconds, kind } = params;
  const expected = Math.round(rate * seconds);
  const received = new Array<number>(chats).fill(0);
  const latencies: number[] = [];
  const errors: string[] = [];
  let startAt = Number.NaN;
  const onText = (i: number, text: string) => {
    const now = performance.timeOrigin + performance.now();
    for (let c = 0; c < text.length; c++) {
      if (text.charCodeAt(c) !== 32) continue;
      latencies.push(now - (startAt + scheduledAt(i, received[i], rate)));
      received[i]++;
    }
  };
  const closers: (() => void)[] = [];
  await inBatches(chats, 50, async (i) => {
    const url = params.urls[i % params.urls.length];
    if (kind === 'mqtt-ws') closers.push(await mqttSubscriber(url, i, onText, errors));
    else if (kind === 'sse') closers.push(await sseSubscriber(url, i, onText, errors));
    else closers.push(await aiWsSubscriber(url, i, onText, errors));
  });
  send({ ready: true });
  startAt = await nextGo();
  const cpuAtGo = cpuSeconds();
  const deadline = startAt + seconds * 1000 + 5_000;
  while (received.some((n) => n < expected) && performance.timeOrigin + performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  for (const close of closers) close();
  const report: SubscribeReport = { latencies, received: received.reduce((a, b) => a + Math.min(b, expected), 0), errors: errors.slice(0, 5), cpuSecondsSinceGo: cpuSeconds() - cpuAtGo };
  process.send!(report, () => process.exit(0));
}

/** MQTT 3.1.1 over WebSocket with nothing but mqtt-packet: CONNECT, SUBSCRIBE, then PUBLISH frames. */
function mqttSubscriber(url: string, i: number, onText: (i: number, text: string) => void, errors: string[]): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, 'mqtt', { perMessageDeflate: false });
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (packet) => {
      if (packet.cmd === 'connack') socket.send(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: topics.topic({ userId: USER_ID, chatId: chatIdFor(i) }, 'stream'), qos: 0 }] }));
      else if (packet.cmd === 'suback') resolve(() => socket.terminate());
      else if (packet.cmd === 'publish') {
        const decoded = decodeStream(packet.payload as Buffer);
        if (!decoded.ok) return void errors.push(`chat ${i}: ${decoded.reason}`);
        for (const chunk of decoded.value.chunks) if (chunk.type === 'text-delta') onText(i, chunk.delta);
      }
    });
    parser.on('error', (error) => errors.push(String(error)));
    socket.on('open', () => socket.send(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: `cap_${process.pid}_${i}`, keepalive: 0 })));
    socket.on('message', (data: Buffer) => parser.parse(data));
    socket.on('error', reject);
  });
}

/** POST, then read `data: {...}` lines of the SSE body. */
function sseSubscriber(url: string, i: number, onText: (i: number, text: string) => void, errors: string[]): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/api/chat/${i}`, { method: 'POST', headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (text: string) => {
        pending += text;
        let end: number;
        while ((end = pending.indexOf('\n\n')) >= 0) {
          const event = pending.slice(0, end);
          pending = pending.slice(end + 2);
          if (!event.startsWith('data: ') || event === 'data: [DONE]') continue;
          try {
            const chunk = JSON.parse(event.slice(6)) as UIMessageChunk;
            if (chunk.type === 'text-delta') onText(i, chunk.delta);
          } catch (error) {
            errors.push(String(error));
          }
        }
      });
      resolve(() => req.destroy());
    });
    req.on('error', reject);
    req.end(JSON.stringify({ id: chatIdFor(i), messages: [] }));
  });
}

/** The AI SDK WebSocket chat protocol: a `send` frame, then `chunk` frames. */
function aiWsSubscriber(url: string, i: number, onText: (i: number, text: string) => void, errors: string[]): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/chat`, { perMessageDeflate: false });
    socket.on('open', () => socket.send(JSON.stringify({ type: 'send', requestId: String(i), chatId: chatIdFor(i), messages: [] })));
    socket.on('message', (data) => {
      try {
        const frame = JSON.parse(String(data)) as { type: string; chunk?: UIMessageChunk };
        if (frame.type === 'start') resolve(() => socket.terminate());
        else if (frame.type === 'chunk' && frame.chunk?.type === 'text-delta') onText(i, frame.chunk.delta);
      } catch (error) {
        errors.push(String(error));
      }
    });
    socket.on('error', reject);
  });
}

process.once('message', (message: CapacityMessage) => {
  if ('go' in message) return;
  const run = message.role === 'mqtt-publish' ? mqttPublish(message) : message.role === 'subscribe' ? subscribe(message) : aiServer(message);
  run.catch((error) => process.send!({ error: String(error) }, () => process.exit(1)));
});
