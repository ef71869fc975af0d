/**
 * The stories' backend: the in-memory mock broker, the REAL chat worker with a scripted
 * handler, and REAL `CloudSignalChatTransport`s (one per simulated device), all in the browser.
 */
import type { UIMessage, UIMessageChunk } from 'ai';
import { createMockBroker, scriptedChunkStream, type MockBroker, type MockMqttClient } from '../../src/testing/index.js';
import { createChatWorker, type ChatWorker } from '../../src/server/chat-worker.js';
import type { ChatTurnContext } from '../../src/server/turn-runner.js';
import { CloudSignalChatTransport } from '../../src/transport/cloudsignal-chat-transport.js';
import { Store, type ReadableStore } from '../../src/transport/store.js';
import type { ConnectionSnapshot } from '../../src/transport/connection-state.js';
import type { ChatKitTransport } from '../../src/hooks/types.js';

export const USER_ID = 'storybook-user';
export const WORKER_ID = 'story-worker';

export interface Scenario {
  /** The worker's answer to a question. */
  answer?: (question: string, turn: number) => string;
  /** Delay of each text delta, ms. */
  tokenDelayMs?: number;
  /** Tokens per delta. */
  chunkSize?: number;
  /** Silence before the first token (the worker shows `thinking`), ms. */
  thinkMs?: number;
  /** Reasoning text streamed before the answer. */
  reasoning?: string;
  /** A tool call (input, then output) made before the answer. */
  tool?: { name: string; input: unknown; output: unknown; runMs?: number };
  /** Broker downlink latency, ms. */
  latencyMs?: number;
  /** The transport's `streamTimeout`, ms. */
  streamTimeout?: number;
  /** Ms between a browser client's automatic reconnects after a drop. */
  reconnectPeriod?: number;
  /** Simulated devices of the same user (each its own MQTT client and transport). */
  devices?: number;
  /** The broker refuses the browsers' credentials (the worker still gets in). */
  refuseBrowsers?: boolean;
}

export interface MockChatEnv {
  broker: MockBroker;
  worker: ChatWorker;
  transports: ChatKitTransport[];
  clients: MockMqttClient[];
  /** Kills device `i`'s socket as a network failure would; it reconnects after `reconnectPeriod`. */
  dropDevice(i?: number): void;
  /** Kills the worker's socket for good: a crashed worker. */
  crashWorker(): void;
  dispose(): Promise<void>;
}

const defaultAnswer = (question: string) =>
  `You asked: *${question}*.\n\nHere is a short answer streamed **token by token** over MQTT, with a list:\n\n- ordered chunks\n- resumable after a drop\n- one commit per frame\n\nThat is all.`;

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function lastUserText(messages: UIMessage[]): string {
  const user = [...messages].reverse().find((m) => m.role === 'user');
  return (user?.parts ?? []).map((p) => (p.type === 'text' ? p.text : '')).join('');
}

/** A UI message stream: optional thinking pause and reasoning, then the scripted answer. */
function answerStream(scenario: Scenario, context: ChatTurnContext, turn: number): ReadableStream<UIMessageChunk> {
  const { abortSignal } = context;
  const text = (scenario.answer ?? defaultAnswer)(lastUserText(context.messages), turn);
  return new ReadableStream<UIMessageChunk>({
    async start(controller) {
      try {
        if (scenario.thinkMs) await wait(scenario.thinkMs, abortSignal);
        const answer = scriptedChunkStream({ text, tokenDelayMs: scenario.tokenDelayMs ?? 25, chunkSize: scenario.chunkSize ?? 1, signal: abortSignal });
        const reader = answer.getReader();
        let first = true;
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          controller.enqueue(value);
          const atStart = first;
          first = false;
          if (atStart && scenario.tool) {
            const { name, input, output, runMs = 600 } = scenario.tool;
            controller.enqueue({ type: 'tool-input-available', toolCallId: 'call-1', toolName: name, input });
            await wait(runMs, abortSignal);
            controller.enqueue({ type: 'tool-output-available', toolCallId: 'call-1', output });
          }
          if (atStart && scenario.reasoning) {
            controller.enqueue({ type: 'reasoning-start', id: 'r0' });
            for (const word of scenario.reasoning.split(/(?<= )/)) {
              await wait(scenario.tokenDelayMs ?? 25, abortSignal);
              if (abortSignal.aborted) break;
              controller.enqueue({ type: 'reasoning-delta', id: 'r0', delta: word });
            }
            controller.enqueue({ type: 'reasoning-end', id: 'r0' });
          }
        }
        controller.close();
      } catch (error) {
        controller.error(error);
      }
    },
  });
}

/**
 * Adds the reconnect schedule an external client does not report (attempt and next retry time),
 * from the mock client's own `close`/`reconnect` events. Only the stories need this: the managed
 * connection (`wssUrl`) computes both itself with backoff.
 */
function withReconnectSchedule(transport: CloudSignalChatTransport, client: MockMqttClient, periodMs: number): ChatKitTransport {
  const base = transport.connection;
  const store = new Store<ConnectionSnapshot>(base.getSnapshot());
  let attempt = 0;
  let nextRetryAt: number | null = null;
  const sync = () => {
    const snapshot = base.getSnapshot();
    if (snapshot.status === 'connected') {
      attempt = 0;
      nextRetryAt = null;
      store.update(snapshot);
    } else {
      store.update({ ...snapshot, attempt: Math.max(attempt, snapshot.attempt), nextRetryAt: nextRetryAt ?? snapshot.nextRetryAt });
    }
  };
  client.on('close', () => {
    nextRetryAt = Date.now() + periodMs;
    sync();
  });
  client.on('reconnect', () => {
    attempt++;
    nextRetryAt = null;
    sync();
  });
  base.subscribe(sync);
  const connection: ReadableStore<ConnectionSnapshot> = store;
  return {
    resumeStreamIsReplay: true,
    connection,
    stats: transport.stats,
    chat: (chatId) => transport.chat(chatId),
    retry: () => transport.retry(),
    close: () => transport.close(),
    sendMessages: (options) => transport.sendMessages(options),
    reconnectToStream: (options) => transport.reconnectToStream(options),
  };
}

export async function createMockChatEnv(scenario: Scenario = {}): Promise<MockChatEnv> {
  const broker = createMockBroker({
    latencyMs: scenario.latencyMs ?? 0,
    authenticate: scenario.refuseBrowsers ? ({ clientId }) => clientId === WORKER_ID : undefined,
  });
  let turn = 0;
  const worker = await createChatWorker({
    client: broker.connect({ clientId: WORKER_ID }),
    handler: (context) => answerStream(scenario, context, ++turn),
    rateLimit: false,
    presenceIntervalMs: 60_000,
    // The 1 000-message story sends its whole history with each turn.
    limits: { maxMessages: 5_000, maxRequestBytes: 2 * 1024 * 1024 },
  });
  const period = scenario.reconnectPeriod ?? 1500;
  const clients: MockMqttClient[] = [];
  const transports: ChatKitTransport[] = [];
  for (let i = 0; i < (scenario.devices ?? 1); i++) {
    const client = broker.connect({ clientId: `story-device-${i}`, reconnectPeriod: period });
    clients.push(client);
    const transport = new CloudSignalChatTransport({
      client,
      userId: USER_ID,
      trigger: 'mqtt',
      streamTimeout: scenario.streamTimeout ?? 15_000,
    });
    transports.push(withReconnectSchedule(transport, client, period));
  }
  return {
    broker,
    worker,
    transports,
    clients,
    dropDevice: (i = 0) => void broker.dropClient(`story-device-${i}`),
    crashWorker: () => void broker.dropClient(WORKER_ID),
    async dispose() {
      for (const t of transports) t.close();
      await worker.close().catch(() => undefined);
      for (const c of clients) c.end(true);
      await broker.close();
    },
  };
}
