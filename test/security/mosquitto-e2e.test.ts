/**
 * The whole chain on a real Mosquitto with dynamic security: the browser transport gets
 * per-tab credentials from the endpoint (dynsec issuer), the worker connects as a service
 * account, a turn streams, and another user can neither read it nor reach the worker as alice.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createServer, type Server } from 'node:http';
import mqtt, { type MqttClient } from 'mqtt';
import { createChatWorker, toNodeHandler, type ChatWorker } from '../../src/server/index.js';
import { createCredentialsHandler } from '../../src/server/credentials/handler.js';
import type { MosquittoDynsecIssuer } from '../../src/server/credentials/mosquitto-dynsec.js';
import { createServiceAccount } from '../../src/server/credentials/service-account.js';
import { TopicScheme } from '../../src/transport/topics.js';
import { encodeRequest } from '../../src/transport/envelope.js';
import { scriptedChunkStream } from '../../src/testing/scripted-model.js';
import { createTransport, runTurn, waitConnected } from '../helpers/chat-harness.js';
import type { MosquittoHandle } from '../helpers/mosquitto.js';
import { startDynsecStack } from '../helpers/dynsec.js';
import { sleep } from './acl-targets.js';

const ANSWER = Array.from({ length: 60 }, (_, i) => `t${i}`).join(' ');
const topics = new TopicScheme();
let broker: MosquittoHandle;
let admin: MqttClient;
let issuer: MosquittoDynsecIssuer;
let worker: ChatWorker;
let server: Server;
let authUrl: string;

beforeAll(async () => {
  ({ broker, admin, issuer } = await startDynsecStack('svc-e2e-admin'));
  const account = createServiceAccount('e2e-worker');
  await issuer.provisionServiceAccount(account);
  worker = await createChatWorker({
    url: broker.mqttUrl,
    username: account.username,
    password: account.password,
    workerId: account.clientId,
    rateLimit: false,
    handler: ({ abortSignal }) => scriptedChunkStream({ text: ANSWER, tokenDelayMs: 5, signal: abortSignal }),
  });
  server = createServer(toNodeHandler(createCredentialsHandler({ authenticate: (request) => request.headers.get('x-user'), issuer, ttlSeconds: 300 })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  authUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/auth`;
});

afterAll(async () => {
  await worker?.close();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  issuer?.close();
  await admin?.endAsync(true);
  await broker?.stop();
});

test('a turn streams to alice through Mosquitto with per-tab credentials; the worker uses shared subscriptions', async () => {
  expect(worker.stats.mode).toBe('shared');
  const transport = createTransport({ wssUrl: broker.wsUrl, authEndpoint: authUrl, headers: { 'x-user': 'alice' }, userId: 'alice' });
  await waitConnected(transport);
  expect((await runTurn(transport, 'c-e2e', 'hello')).text).toBe(ANSWER);
  transport.close();
});

test("bob's credentials read nothing of alice's turn and cannot start one as alice", async () => {
  const bob = await (await fetch(authUrl, { method: 'POST', headers: { 'x-user': 'bob' } })).json();
  const spy = await mqtt.connectAsync(broker.wsUrl, { username: bob.username, password: bob.password, clientId: bob.clientId, reconnectPeriod: 0, protocolVersion: 5 });
  const seen: string[] = [];
  spy.on('message', (topic) => seen.push(topic));
  await spy.subscribeAsync(topics.topic({ userId: 'alice', chatId: 'c-e2e2' }, 'stream'), { qos: 0 }).catch(() => undefined);
  await expect(spy.publishAsync(topics.topic({ userId: 'alice', chatId: 'c-e2e2' }, 'request'), '{}', { qos: 1 })).rejects.toThrow(/not authori[sz]ed/i);
  const servedBefore = worker.stats.received;

  const transport = createTransport({ wssUrl: broker.wsUrl, authEndpoint: authUrl, headers: { 'x-user': 'alice' }, userId: 'alice' });
  await waitConnected(transport);
  expect((await runTurn(transport, 'c-e2e2', 'again')).text).toBe(ANSWER);
  await sleep(200);
  expect(seen).toEqual([]);
  expect(worker.stats.received - servedBefore).toBe(1);
  transport.close();
  await spy.endAsync(true);
});

test("a retained request planted by a browser (Mosquitto's retain gap) is dropped by a worker that starts later, not served", async () => {
  const alice = await (await fetch(authUrl, { method: 'POST', headers: { 'x-user': 'alice' } })).json();
  const planter = await mqtt.connectAsync(broker.wsUrl, { username: alice.username, password: alice.password, clientId: alice.clientId, reconnectPeriod: 0, protocolVersion: 5 });
  const planted = encodeRequest({ requestId: 'plantedRequest1', trigger: 'submit-message', messages: [{ id: 'm1', role: 'user', parts: [{ type: 'text', text: 'replay me on every worker start' }] }] });
  // Mosquitto accepts it (no per-client retain control): this is the gap being measured.
  await planter.publishAsync(topics.topic({ userId: 'alice', chatId: 'c-planted' }, 'request'), planted, { qos: 1, retain: true });
  await planter.endAsync(true);

  const account = createServiceAccount('e2e-late-worker');
  await issuer.provisionServiceAccount(account);
  let served = 0;
  const late = await createChatWorker({
    url: broker.mqttUrl,
    username: account.username,
    password: account.password,
    workerId: account.clientId,
    rateLimit: false,
    handler: ({ abortSignal }) => (served++, scriptedChunkStream({ text: 'x', signal: abortSignal })),
  });
  // Mosquitto 2.0 delivers it on subscribe (flagged retained), even to a shared subscription; the
  // worker drops retained requests instead of re-running the turn.
  await expect.poll(() => late.stats.received, { timeout: 3_000 }).toBe(1);
  await sleep(300);
  expect(late.stats.dropped).toBe(1);
  expect(served).toBe(0);
  await late.close();
});
