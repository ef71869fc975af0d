/**
 * Attachments through both triggers on the real pieces (issue 15, item 3): the authenticated
 * embedded broker, the browser transport with credentials from the credentials endpoint, the
 * HTTP trigger (`createChatRequestHandler`) or the MQTT `request` publish, and a chat worker
 * answering with a scripted model.
 *
 * - Default limits (256 KiB): a 150 KB file reaches the worker byte for byte and is answered; a
 *   500 KB file fails at once with `RequestTooLargeError` naming the limit. Nothing is published
 *   or posted, the socket stays up (no reconnect loop), and the chat goes on: the next message,
 *   with the earlier file in its history, is answered.
 * - Raised limits (1 MiB on the transport, the trigger and, for MQTT, the broker's browser packet
 *   size): a 500 KB file reaches the worker byte for byte and is answered.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { convertToModelMessages, streamText, type FileUIPart, type UIMessage } from 'ai';
import mqtt from 'mqtt';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/index.js';
import { createChatRequestHandler, createChatWorker, createCredentialsHandler, createJwtIssuer, createServiceAccount, toNodeHandler, type ChatWorker, type ChatTurnContext } from '../../src/server/index.js';
import { createScriptedModel } from '../../src/testing/index.js';
import { CloudSignalChatTransport, RequestTooLargeError } from '../../src/transport/index.js';
import { readTurn, waitConnected } from '../helpers/chat-harness.js';

const SECRET = 'attachments-secret-0123456789abcdefghij';
const ANSWER = 'I read the whole file.';
const DEFAULT_LIMIT = 256 * 1024;
const RAISED_LIMIT = 1024 * 1024;
const USER = 'ann';

/** Deterministic file content: every byte value, in an order no compression or dedupe would hide. */
function fileBytes(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let state = seed >>> 0;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

const filePart = (bytes: Uint8Array, filename: string): FileUIPart => ({
  type: 'file',
  mediaType: 'application/octet-stream',
  filename,
  url: `data:application/octet-stream;base64,${Buffer.from(bytes).toString('base64')}`,
});

const userMessage = (id: string, text: string, file?: FileUIPart): UIMessage => ({ id, role: 'user', parts: file ? [file, { type: 'text', text }] : [{ type: 'text', text }] });

/** The bytes of every file part the worker received, by file name. */
function receivedFiles(messages: UIMessage[]): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const message of messages) {
    for (const part of message.parts) {
      if (part.type !== 'file') continue;
      const match = /^data:[^;,]+;base64,(.*)$/.exec(part.url);
      if (!match) throw new Error(`file part ${part.filename} is not a base64 data URL`);
      files.set(part.filename ?? '', Buffer.from(match[1], 'base64'));
    }
  }
  return files;
}

interface Stack {
  broker: EmbeddedBroker;
  transport: CloudSignalChatTransport;
  /** Every turn the worker (or the HTTP trigger's turn service) ran, with what it received. */
  turns: ChatTurnContext[];
  /** POSTs that reached the HTTP trigger. */
  posts: number;
  /** Connections the broker accepted (a reconnect loop would add more). */
  connects: number;
  /** PUBLISH packets on `request` topics the broker received. */
  requestPublishes: number;
}

let closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
});

async function startStack(trigger: 'http' | 'mqtt', limit: number, brokerLimit: 'raised' | 'default' = 'raised'): Promise<Stack> {
  const raised = limit !== DEFAULT_LIMIT;
  const account = createServiceAccount(`attach-${trigger}-${raised ? 'raised' : 'default'}-${brokerLimit}`);
  const broker = await startEmbeddedBroker({
    port: 0,
    wsPort: 0,
    // The browser's packet size is the broker's part of the limit; raised with the others.
    auth: { jwtSecret: SECRET, serviceAccounts: [account], ...(raised && brokerLimit === 'raised' ? { browserMaxPacketSize: limit + 4096 } : {}) },
  });
  closers.push(() => broker.close());
  const stack = { broker, turns: [] as ChatTurnContext[], posts: 0, connects: 0, requestPublishes: 0 } as Stack;
  broker.aedes.on('client', () => stack.connects++);
  broker.aedes.on('publish', (packet) => {
    if (packet.topic.endsWith('/request')) stack.requestPublishes++;
  });

  const model = createScriptedModel({ texts: Array.from({ length: 8 }, () => ANSWER), tokenDelayMs: 1 });
  const handler = async (context: ChatTurnContext) => {
    stack.turns.push(context);
    return streamText({ model, messages: await convertToModelMessages(context.messages), abortSignal: context.abortSignal });
  };
  const limits = { maxRequestBytes: limit };
  if (trigger === 'mqtt') {
    const worker: ChatWorker = await createChatWorker({ url: broker.mqttUrl, account, rateLimit: false, limits, handler });
    closers.push(() => worker.close());
  }

  // The HTTP trigger's turn service publishes with its own service-account client.
  let serviceClient: mqtt.MqttClient | null = null;
  const getServiceClient = async () => (serviceClient ??= await mqtt.connectAsync(broker.mqttUrl, { ...account, reconnectPeriod: 0 }));
  closers.push(() => void serviceClient?.end(true));
  const routes: Record<string, (request: Request) => Promise<Response>> = {
    '/api/mqtt-token': createCredentialsHandler({ authenticate: () => USER, issuer: createJwtIssuer({ secret: SECRET }), ttlSeconds: 600 }),
    '/api/chat': createChatRequestHandler({ client: getServiceClient, authenticate: () => USER, rateLimit: false, limits, handler }),
  };
  const server: Server = createServer((req, res) => {
    if (req.url === '/api/chat') stack.posts++;
    const route = routes[req.url ?? ''];
    if (!route) return void res.writeHead(404).end();
    toNodeHandler(route)(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  stack.transport = new CloudSignalChatTransport({
    wssUrl: broker.wsUrl,
    authEndpoint: `${base}/api/mqtt-token`,
    api: `${base}/api/chat`,
    userId: USER,
    trigger,
    storage: false,
    ...(raised ? { maxRequestBytes: limit } : {}),
  });
  closers.push(() => stack.transport.close());
  await waitConnected(stack.transport);
  return stack;
}

/** Sends the conversation and reads the answer to its end. */
async function ask(stack: Stack, chatId: string, messages: UIMessage[]): Promise<string> {
  const stream = await stack.transport.sendMessages({ chatId, trigger: 'submit-message', messageId: undefined, abortSignal: undefined, messages });
  return (await readTurn(stack.transport, chatId, stream)).text;
}

describe.each(['http', 'mqtt'] as const)('attachments on the %s trigger', (trigger) => {
  test('default limits: 150 KB arrives byte for byte; 500 KB fails at once with RequestTooLargeError and the chat goes on', async () => {
    const stack = await startStack(trigger, DEFAULT_LIMIT);
    const small = fileBytes(150_000, 1);
    const large = fileBytes(500_000, 2);
    const chatId = `attach-${trigger}`;
    const first = userMessage('u1', 'summarise this', filePart(small, 'small.bin'));

    expect(await ask(stack, chatId, [first])).toBe(ANSWER);
    expect(stack.turns).toHaveLength(1);
    expect(receivedFiles(stack.turns[0].messages).get('small.bin')?.equals(Buffer.from(small))).toBe(true);

    const history = [first, { id: 'a1', role: 'assistant', parts: [{ type: 'text', text: ANSWER }] } satisfies UIMessage];
    const before = { posts: stack.posts, publishes: stack.requestPublishes, connects: stack.connects };
    const failure = await stack.transport
      .sendMessages({ chatId, trigger: 'submit-message', messageId: undefined, abortSignal: undefined, messages: [...history, userMessage('u2', 'and this one', filePart(large, 'large.bin'))] })
      .then(() => null, (error: unknown) => error);
    expect(failure).toBeInstanceOf(RequestTooLargeError);
    expect((failure as RequestTooLargeError).limit).toBe(DEFAULT_LIMIT);
    expect((failure as Error).message).toContain(String(DEFAULT_LIMIT));
    // Refused before it left the page: nothing posted or published, nothing queued to re-send.
    expect({ posts: stack.posts, publishes: stack.requestPublishes }).toEqual({ posts: before.posts, publishes: before.publishes });
    expect(stack.transport.chat(chatId).store.getSnapshot().pending).toEqual([]);
    expect(stack.transport.connection.getSnapshot().status).toBe('connected');

    // The chat goes on over the same connection, its earlier file intact in the history.
    expect(await ask(stack, chatId, [...history, userMessage('u3', 'just text now')])).toBe(ANSWER);
    expect(stack.turns).toHaveLength(2);
    expect(stack.turns[1].messages.filter((m) => m.role === 'user').map((m) => m.id)).toEqual(['u1', 'u3']);
    expect(receivedFiles(stack.turns[1].messages).get('small.bin')?.equals(Buffer.from(small))).toBe(true);
    expect(stack.connects).toBe(before.connects);
    expect(stack.transport.connection.getSnapshot().status).toBe('connected');
  });

  test('raised limits: a 500 KB file arrives byte for byte and is answered', async () => {
    const stack = await startStack(trigger, RAISED_LIMIT);
    const large = fileBytes(500_000, 3);
    expect(await ask(stack, `attach-raised-${trigger}`, [userMessage('u1', 'summarise this', filePart(large, 'large.bin'))])).toBe(ANSWER);
    expect(stack.turns).toHaveLength(1);
    expect(receivedFiles(stack.turns[0].messages).get('large.bin')?.equals(Buffer.from(large))).toBe(true);
    expect(stack.transport.connection.getSnapshot().status).toBe('connected');
  });
});

describe('a transport limit raised above the broker\'s (MQTT trigger, a misconfiguration)', () => {
  test('a 500 KB request the broker refuses by closing the connection fails with RequestTooLargeError after a bounded number of tries, and the chat goes on', async () => {
    // The transport and the worker accept 1 MiB; the broker still takes browser packets of 256 KiB.
    const stack = await startStack('mqtt', RAISED_LIMIT, 'default');
    const chatId = 'attach-misconfigured';
    const before = stack.connects;
    const failure = await stack.transport
      .sendMessages({ chatId, trigger: 'submit-message', messageId: undefined, abortSignal: undefined, messages: [userMessage('u1', 'summarise this', filePart(fileBytes(500_000, 4), 'large.bin'))] })
      .then(() => null, (error: unknown) => error);
    expect(failure).toBeInstanceOf(RequestTooLargeError);
    expect((failure as RequestTooLargeError).refusedBy).toBe('broker');
    expect((failure as Error).message).toContain('maxRequestBytes');
    // No loop: a handful of reconnects, nothing queued to send again, no turn ran.
    expect(stack.connects - before).toBeLessThanOrEqual(4);
    expect(stack.transport.chat(chatId).store.getSnapshot().pending).toEqual([]);
    expect(stack.turns).toHaveLength(0);
    // The chat goes on.
    await waitConnected(stack.transport);
    expect(await ask(stack, chatId, [userMessage('u2', 'just text now')])).toBe(ANSWER);
    expect(stack.connects - before).toBeLessThanOrEqual(4);
  });
});
