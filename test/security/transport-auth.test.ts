/**
 * The browser transport against the authenticated embedded broker: credentials come from the
 * credentials endpoint, refusals surface as an `auth` error without a retry storm, and a token
 * that expires mid-session is replaced by a fresh one without the user noticing.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createServer, type Server } from 'node:http';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { createChatWorker, toNodeHandler, type ChatWorker } from '../../src/server/index.js';
import { createCredentialsHandler } from '../../src/server/credentials/handler.js';
import { createJwtIssuer } from '../../src/server/credentials/jwt.js';
import { createServiceAccount } from '../../src/server/credentials/service-account.js';
import type { CredentialIssuer } from '../../src/server/credentials/types.js';
import { scriptedChunkStream } from '../../src/testing/scripted-model.js';
import { createTransport, runTurn, waitConnected, waitStatus } from '../helpers/chat-harness.js';
import { sleep } from './acl-targets.js';

const SECRET = 'transport-auth-secret-0123456789abcdefgh';
const ANSWER = 'Only alice reads this answer.';
const workerAccount = createServiceAccount('transport-auth');

let broker: EmbeddedBroker;
let worker: ChatWorker;
let server: Server;
let base: string;
/** Endpoint calls per path, to see retry storms. */
const calls = new Map<string, number>();
const expiredEvents: string[] = [];
const refusedConnects: string[] = [];

beforeAll(async () => {
  broker = await startEmbeddedBroker({
    port: 0,
    wsPort: 0,
    auth: { jwtSecret: SECRET, serviceAccounts: [workerAccount], onDenied: (event) => (event.stage === 'expired' ? expiredEvents : event.stage === 'connect' ? refusedConnects : []).push(event.clientId) },
  });
  worker = await createChatWorker({
    url: broker.mqttUrl,
    ...workerAccount,
    workerId: workerAccount.clientId,
    rateLimit: false,
    handler: ({ abortSignal }) => scriptedChunkStream({ text: ANSWER, tokenDelayMs: 2, signal: abortSignal }),
  });
  const wrongIssuer: CredentialIssuer = createJwtIssuer({ secret: `${SECRET}-not-the-broker-one` });
  const routes: Record<string, (request: Request) => Promise<Response>> = {
    '/auth/ok': createCredentialsHandler({ authenticate: () => 'alice', issuer: createJwtIssuer({ secret: SECRET }), ttlSeconds: 300 }),
    '/auth/short': createCredentialsHandler({ authenticate: () => 'alice', issuer: createJwtIssuer({ secret: SECRET }), ttlSeconds: 2 }),
    '/auth/no-session': createCredentialsHandler({ authenticate: () => null, issuer: createJwtIssuer({ secret: SECRET }) }),
    '/auth/wrong-secret': createCredentialsHandler({ authenticate: () => 'alice', issuer: wrongIssuer }),
  };
  server = createServer((req, res) => {
    const path = req.url ?? '';
    calls.set(path, (calls.get(path) ?? 0) + 1);
    const route = routes[path];
    if (!route) return void res.writeHead(404).end();
    toNodeHandler(route)(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await worker?.close();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await broker?.close();
});

describe('transport authentication against the embedded broker', () => {
  test('credentials from the endpoint: the turn works', async () => {
    const transport = createTransport({ wssUrl: broker.wsUrl, authEndpoint: `${base}/auth/ok`, userId: 'alice' });
    await waitConnected(transport);
    expect((await runTurn(transport, 'c-auth', 'hi')).text).toBe(ANSWER);
    transport.close();
  });

  test('no session (401): an auth error, and the endpoint is not hammered', async () => {
    const transport = createTransport({ wssUrl: broker.wsUrl, authEndpoint: `${base}/auth/no-session`, userId: 'alice' });
    await waitStatus(transport, 'error');
    expect(transport.connection.getSnapshot().lastError?.kind).toBe('auth');
    await sleep(3_000);
    expect(calls.get('/auth/no-session')).toBe(1);
    transport.close();
  });

  test('credentials the broker refuses: an auth error, no reconnect loop', async () => {
    const refusedBefore = refusedConnects.length;
    const transport = createTransport({ wssUrl: broker.wsUrl, authEndpoint: `${base}/auth/wrong-secret`, userId: 'alice' });
    await waitStatus(transport, 'error');
    expect(transport.connection.getSnapshot().lastError?.kind).toBe('auth');
    await sleep(3_000);
    expect(calls.get('/auth/wrong-secret')).toBe(1);
    // One CONNECT, refused once: the transport does not retry refused credentials by itself.
    expect(refusedConnects.length - refusedBefore).toBe(1);
    transport.close();
  });

  test('a token that expires mid-session: the broker ends the session, the transport reconnects with fresh credentials', async () => {
    const transport = createTransport({ wssUrl: broker.wsUrl, authEndpoint: `${base}/auth/short`, userId: 'alice', connection: { refreshMargin: 500 } });
    await waitConnected(transport);
    const before = expiredEvents.length;
    await expect.poll(() => expiredEvents.length, { timeout: 30_000, interval: 50 }).toBeGreaterThan(before);
    // The fresh credentials are fetched after the drop is noticed; "connected" before that call is
    // the old session's, so wait for the call first (an event), then for the new session.
    await expect.poll(() => calls.get('/auth/short') ?? 0, { timeout: 30_000, interval: 50 }).toBeGreaterThanOrEqual(2);
    await waitStatus(transport, 'connected');
    expect((await runTurn(transport, 'c-expiry', 'still there?')).text).toBe(ANSWER);
    transport.close();
  });
});
