/**
 * The four transports under test, each with a local server in this process:
 * ours through the embedded broker or Mosquitto (the real worker, the real browser transport over
 * WebSocket), the AI SDK's `DefaultChatTransport` (SSE, `pipeUIMessageStreamToResponse`) and the
 * AI SDK's `WebSocketChatTransport` (a `ws` server speaking its request/response frames).
 *
 * Every contender streams the same model (`pacedSource`). The next turn's script is handed to the
 * server through `TurnPlan` (same process), so the request body carries nothing extra.
 */
import { createServer, type Server } from 'node:http';
import { DefaultChatTransport, WebSocketChatTransport, pipeUIMessageStreamToResponse, type ChatTransport, type UIMessage, type UIMessageChunk } from 'ai';
import mqtt from 'mqtt';
import { WebSocket, WebSocketServer } from 'ws';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/index.js';
import { createChatWorker, type ChatWorker } from '../../src/server/index.js';
import { CloudSignalChatTransport } from '../../src/transport/index.js';
import { startMosquitto, type MosquittoHandle } from '../../test/helpers/mosquitto.js';
import { pacedSource, TokenClock } from './source.js';

export interface TurnPlan {
  tokens: number;
  tokensPerSecond: number;
  firstTokenDelayMs?: number;
}

export type ContenderName = 'mqtt-aedes' | 'mqtt-mosquitto' | 'ai-sse' | 'ai-websocket';

export interface Contender {
  name: ContenderName;
  /** Port the browser side connects to (for byte counting). */
  clientPort: number;
  /** Starts one turn; resolves with the client stream and the clock the model stamps. */
  send(chatId: string, plan: TurnPlan): Promise<{ stream: ReadableStream<UIMessageChunk>; clock: TokenClock; sentAt: number }>;
  close(): Promise<void>;
  /** Stream messages published so far (ours only, counted by a spy subscriber). */
  streamMessages?: () => number;
  /** Label in tables when several variants of one transport run together. */
  label?: string;
}

/** Realistic id lengths: topic bytes ride on every MQTT message. */
export const USER_ID = 'user_k3J9xQ2mZp';
export const chatIdFor = (i: number) => `chat${String(i).padStart(12, '0')}`;

const userMessage = (text: string): UIMessage => ({ id: `m${Date.now()}`, role: 'user', parts: [{ type: 'text', text }] });

/** Hands each server-side turn the plan and clock of the client that asked for it. */
class PlanBoard {
  private readonly queue: { plan: TurnPlan; clock: TokenClock }[] = [];
  put(plan: TurnPlan): TokenClock {
    const clock = new TokenClock();
    this.queue.push({ plan, clock });
    return clock;
  }
  take(): { plan: TurnPlan; clock: TokenClock } {
    const next = this.queue.shift();
    if (!next) throw new Error('bench: a turn arrived without a plan');
    return next;
  }
}

async function sendWith(transport: ChatTransport<UIMessage>, board: PlanBoard, chatId: string, plan: TurnPlan) {
  const clock = board.put(plan);
  const sentAt = performance.now();
  const stream = await transport.sendMessages({
    chatId,
    trigger: 'submit-message',
    messageId: undefined,
    abortSignal: undefined,
    messages: [userMessage('Tell me something.')],
  });
  return { stream, clock, sentAt };
}

export interface OursOptions {
  broker: 'aedes' | 'mosquitto';
  /** Worker merge window; undefined = the kit's default. */
  mergeWindowMs?: number;
  /** The worker's adaptive coalescing (replaces the merge window). */
  adaptiveCoalescing?: boolean;
  /** Reuse a running broker (coalescing runs several workers on one broker). */
  mqttUrl?: string;
  wsUrl?: string;
  wsPort?: number;
  topicPrefix?: string;
  /** Count stream messages with a spy subscriber on the broker's TCP port. */
  countMessages?: boolean;
  label?: string;
  /** Embedded broker only: permessage-deflate on its WebSocket listener. */
  compression?: boolean;
  /** Called on close after the worker stopped (e.g. to stop a broker the suite started). */
  onClose?: () => Promise<void>;
}

export async function startOurs(options: OursOptions): Promise<Contender> {
  let aedes: EmbeddedBroker | undefined;
  let mosquitto: MosquittoHandle | undefined;
  let mqttUrl = options.mqttUrl;
  let wsUrl = options.wsUrl;
  let wsPort = options.wsPort;
  if (!mqttUrl) {
    if (options.broker === 'aedes') {
      aedes = await startEmbeddedBroker({ port: 0, wsPort: 0, compression: options.compression });
      ({ mqttUrl, wsUrl, wsPort } = aedes);
    } else {
      mosquitto = await startMosquitto({ auth: 'anonymous' });
      ({ mqttUrl, wsUrl, wsPort } = mosquitto);
    }
  }
  const board = new PlanBoard();
  const worker: ChatWorker = await createChatWorker({
    url: mqttUrl,
    topicPrefix: options.topicPrefix,
    rateLimit: false,
    publish: options.mergeWindowMs === undefined ? undefined : { mergeWindowMs: options.mergeWindowMs },
    adaptiveCoalescing: options.adaptiveCoalescing,
    handler: ({ abortSignal }) => {
      const { plan, clock } = board.take();
      return pacedSource({ ...plan, clock, signal: abortSignal });
    },
  });
  const transport = new CloudSignalChatTransport({ wssUrl: wsUrl!, userId: USER_ID, trigger: 'mqtt', topicPrefix: options.topicPrefix });
  // An open chat stays subscribed between turns, as `useCloudSignalChat` keeps it: no SUBSCRIBE
  // round trip and no retained status/complete re-delivered on every turn.
  const releases = new Map<string, () => void>();
  const retained = (chatId: string) => {
    if (!releases.has(chatId)) releases.set(chatId, transport.chat(chatId).acquire());
    return chatId;
  };
  let messages = 0;
  const spy = options.countMessages ? await mqtt.connectAsync(mqttUrl!) : undefined;
  if (spy) {
    spy.on('message', () => messages++);
    await spy.subscribeAsync(`${options.topicPrefix ?? 'chat'}/+/+/stream`, { qos: 0 });
  }
  return {
    name: options.broker === 'aedes' ? 'mqtt-aedes' : 'mqtt-mosquitto',
    label: options.label,
    streamMessages: spy ? () => messages : undefined,
    clientPort: wsPort!,
    send: (chatId, plan) => sendWith(transport as unknown as ChatTransport<UIMessage>, board, retained(chatId), plan),
    async close() {
      for (const release of releases.values()) release();
      await spy?.endAsync();
      transport.close();
      await worker.close();
      await aedes?.close();
      await mosquitto?.stop();
      await options.onClose?.();
    },
  };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

export async function startSse(): Promise<Contender> {
  const board = new PlanBoard();
  const server = createServer((req, res) => {
    // Drain the JSON body like a route handler would, then stream.
    req.resume();
    req.on('end', () => {
      const { plan, clock } = board.take();
      const abort = new AbortController();
      res.on('close', () => abort.abort());
      void pipeUIMessageStreamToResponse({ response: res, stream: pacedSource({ ...plan, clock, signal: abort.signal }) });
    });
  });
  const port = await listen(server);
  const transport = new DefaultChatTransport<UIMessage>({ api: `http://127.0.0.1:${port}/api/chat` });
  return {
    name: 'ai-sse',
    clientPort: port,
    send: (chatId, plan) => sendWith(transport, board, chatId, plan),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function startAiWebSocket(): Promise<Contender> {
  const board = new PlanBoard();
  const server = createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (socket) => {
    const running = new Map<string, AbortController>();
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; requestId: string };
      if (frame.type === 'abort') return running.get(frame.requestId)?.abort();
      if (frame.type === 'resume') return socket.send(JSON.stringify({ type: 'no-active', requestId: frame.requestId }));
      if (frame.type !== 'send') return;
      const { plan, clock } = board.take();
      const abort = new AbortController();
      running.set(frame.requestId, abort);
      const { requestId } = frame;
      socket.send(JSON.stringify({ type: 'start', requestId }));
      void (async () => {
        const reader = pacedSource({ ...plan, clock, signal: abort.signal }).getReader();
        let sequence = 0;
        while (true) {
          const { value, done } = await reader.read();
          if (done) break;
          socket.send(JSON.stringify({ type: 'chunk', requestId, sequence: sequence++, chunk: value }));
        }
        running.delete(requestId);
        socket.send(JSON.stringify({ type: 'end', requestId }));
      })();
    });
  });
  const port = await listen(server);
  const transport = new WebSocketChatTransport<UIMessage>({ url: `ws://127.0.0.1:${port}/chat`, webSocket: WebSocket as never });
  return {
    name: 'ai-websocket',
    clientPort: port,
    send: (chatId, plan) => sendWith(transport, board, chatId, plan),
    async close() {
      transport.close();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => server.close(() => resolve())));
    },
  };
}
