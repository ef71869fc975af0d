/**
 * The credentials endpoint and its issuers: sessions, expiry, refresh, the CloudSignal token
 * service (a local fake following its `/v1/create` shape) and Mosquitto dynamic security.
 */
import { ACCESS_TABLE } from '../../src/transport/access-table.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { generateKeyPair, exportJWK, createLocalJWKSet } from 'jose';
import type { MqttClientLike } from '../../src/transport/mqtt-client.js';
import mqtt, { type MqttClient } from 'mqtt';
import { createCredentialsHandler } from '../../src/server/credentials/handler.js';
import { createJwtIssuer, verifyChatToken, MIN_SECRET_BYTES } from '../../src/server/credentials/jwt.js';
import { createCloudSignalIssuer } from '../../src/server/credentials/cloudsignal.js';
import { dynsecAccountName, type MosquittoDynsecIssuer } from '../../src/server/credentials/mosquitto-dynsec.js';
import { createDynsecControl } from '../../src/server/credentials/dynsec-control.js';
import { createServiceAccount } from '../../src/server/credentials/service-account.js';
import { CredentialError, InvalidTokenError, IssuerError } from '../../src/server/credentials/errors.js';
import type { CredentialIssuer, IssueRequest } from '../../src/server/credentials/types.js';
import { startEmbeddedBroker } from '../../src/broker/embedded-broker.js';
import type { MosquittoHandle } from '../helpers/mosquitto.js';
import { startDynsecStack } from '../helpers/dynsec.js';
import { tryConnect, closedWithin, sleep } from './acl-targets.js';

const SECRET = 'credentials-test-secret-0123456789abcdef';
const sessionOf = (request: Request) => request.headers.get('x-session-user');
const post = (headers: Record<string, string> = {}, body?: string) => new Request('http://app.test/api/auth/mqtt', { method: 'POST', headers, body });

describe('createCredentialsHandler', () => {
  const issuer = createJwtIssuer({ secret: SECRET });

  test('401 without a session, and the issuer is never asked', async () => {
    let asked = 0;
    const handler = createCredentialsHandler({ authenticate: () => null, issuer: { name: 'spy', issue: async () => (asked++, { username: 'x', password: 'y', expiresAt: 1 }) } });
    const response = await handler(post());
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'unauthenticated' });
    expect(asked).toBe(0);
  });

  test('a session check that throws is a 401 too, reported server-side', async () => {
    const errors: unknown[] = [];
    const handler = createCredentialsHandler({ authenticate: () => Promise.reject(new Error('session store down')), issuer, onError: (error) => errors.push(error) });
    expect((await handler(post())).status).toBe(401);
    expect(errors).toHaveLength(1);
  });

  test('only POST', async () => {
    const handler = createCredentialsHandler({ authenticate: () => 'alice', issuer });
    const response = await handler(new Request('http://app.test/api/auth/mqtt', { method: 'GET' }));
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });

  test('a user id that cannot be a topic segment is refused (403)', async () => {
    for (const userId of ['a/b', '+', '#', '$SYS', '', 'x'.repeat(65)]) {
      const handler = createCredentialsHandler({ authenticate: () => userId, issuer });
      expect((await handler(post())).status).toBe(403);
    }
  });

  test('200 with username, password, userId, expiresAt; never cached; the token verifies for that user', async () => {
    const before = Date.now();
    const handler = createCredentialsHandler({ authenticate: sessionOf, issuer, ttlSeconds: 120 });
    const response = await handler(post({ 'x-session-user': 'alice' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const body = await response.json();
    expect(Object.keys(body).sort()).toEqual(['clientId', 'expiresAt', 'password', 'userId', 'username']);
    // The client id the embedded broker will accept with this token: bound to alice.
    expect(body.clientId).toMatch(/^alice_[A-Za-z0-9]{12}$/);
    expect(body.username).toBe('alice');
    expect(body.userId).toBe('alice');
    expect(body.expiresAt).toBeGreaterThanOrEqual(before + 119_000);
    expect(body.expiresAt).toBeLessThanOrEqual(Date.now() + 120_000);
    const verified = await verifyChatToken(body.password, { secret: SECRET, username: 'alice' });
    expect(verified).toEqual({ userId: 'alice', expiresAt: body.expiresAt });
    expect(JSON.stringify(body)).not.toContain(SECRET);
  });

  test('the body may name the tab (clientId); invalid or service-namespace ids are ignored', async () => {
    const seen: IssueRequest[] = [];
    const spy: CredentialIssuer = { name: 'spy', issue: async (request) => (seen.push(request), { username: request.userId, password: 'p', expiresAt: Date.now() + 1000 }) };
    const handler = createCredentialsHandler({ authenticate: () => 'alice', issuer: spy });
    await handler(post({ 'content-type': 'application/json' }, JSON.stringify({ clientId: 'alice_tab1tab1' })));
    await handler(post({}, JSON.stringify({ clientId: 'svc-worker' })));
    await handler(post({}, JSON.stringify({ clientId: 'a/#' })));
    await handler(post({}, 'not json'));
    await handler(post({}, JSON.stringify({ clientId: 'x'.repeat(2000) })));
    expect(seen.map((request) => request.clientId)).toEqual(['alice_tab1tab1', undefined, undefined, undefined, undefined]);
    expect(seen.every((request) => request.userId === 'alice')).toBe(true);
  });

  test('an issuer failure is a 502 whose body says nothing about the cause', async () => {
    const errors: unknown[] = [];
    const failing: CredentialIssuer = { name: 'failing', issue: () => Promise.reject(new IssuerError('failing', 'upstream said: secret_key sk_live_123 invalid')) };
    const handler = createCredentialsHandler({ authenticate: () => 'alice', issuer: failing, onError: (error) => errors.push(error) });
    const response = await handler(post());
    expect(response.status).toBe(502);
    expect(await response.text()).not.toContain('sk_live');
    expect(errors[0]).toBeInstanceOf(IssuerError);
  });

  test('invalid ttl is a typed error at construction', () => {
    expect(() => createCredentialsHandler({ authenticate: () => 'a', issuer, ttlSeconds: 0 })).toThrow(CredentialError);
  });
});

describe('JWT issuer and verifier', () => {
  test('expiry is honoured: valid before exp, refused after', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const issuer = createJwtIssuer({ secret: SECRET, now: () => clock });
    const issued = await issuer.issue({ userId: 'alice', ttlSeconds: 60 });
    expect(issued.expiresAt).toBe(clock + 60_000);
    await expect(verifyChatToken(issued.password, { secret: SECRET, username: 'alice', now: () => clock + 59_000 })).resolves.toMatchObject({ userId: 'alice' });
    clock += 61_000;
    await expect(verifyChatToken(issued.password, { secret: SECRET, username: 'alice', now: () => clock })).rejects.toThrow(/expired/);
  });

  test('default lifetime is 15 minutes and any request is capped at a day', async () => {
    const clock = 1_800_000_000_000;
    const issuer = createJwtIssuer({ secret: SECRET, now: () => clock });
    expect((await issuer.issue({ userId: 'a', ttlSeconds: 0 })).expiresAt).toBe(clock + 15 * 60_000);
    expect((await issuer.issue({ userId: 'a', ttlSeconds: 10 ** 9 })).expiresAt).toBe(clock + 24 * 3_600_000);
  });

  test('refresh: a new issue gives a different, later token; both verify until their own expiry', async () => {
    let clock = Date.now();
    const issuer = createJwtIssuer({ secret: SECRET, now: () => clock });
    const first = await issuer.issue({ userId: 'alice', ttlSeconds: 60 });
    clock += 30_000;
    const second = await issuer.issue({ userId: 'alice', ttlSeconds: 60 });
    expect(second.password).not.toBe(first.password);
    expect(second.expiresAt).toBe(first.expiresAt + 30_000);
    await expect(verifyChatToken(second.password, { secret: SECRET, username: 'alice', now: () => first.expiresAt + 1_000 })).resolves.toBeTruthy();
    await expect(verifyChatToken(first.password, { secret: SECRET, username: 'alice', now: () => first.expiresAt + 1_000 })).rejects.toBeInstanceOf(InvalidTokenError);
  });

  test('refused: wrong secret, other username, tampered payload, other prefix, alg none', async () => {
    const issuer = createJwtIssuer({ secret: SECRET });
    const { password } = await issuer.issue({ userId: 'alice', ttlSeconds: 60 });
    await expect(verifyChatToken(password, { secret: `${SECRET}-other`, username: 'alice' })).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(verifyChatToken(password, { secret: SECRET, username: 'bob' })).rejects.toThrow(/subject/);
    const [header, payload, signature] = password.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'bob', topicPrefix: 'chat/bob' })).toString('base64url');
    await expect(verifyChatToken(`${header}.${forged}.${signature}`, { secret: SECRET, username: 'bob' })).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(verifyChatToken(password, { secret: SECRET, username: 'alice', topicPrefix: 'other' })).rejects.toThrow(/prefix/);
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.`;
    await expect(verifyChatToken(none, { secret: SECRET, username: 'alice' })).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(verifyChatToken('garbage', { secret: SECRET, username: 'alice' })).rejects.toBeInstanceOf(InvalidTokenError);
  });

  test(`short HMAC secrets are refused (< ${MIN_SECRET_BYTES} bytes)`, () => {
    expect(() => createJwtIssuer({ secret: 'short' })).toThrow(CredentialError);
  });

  test('asymmetric keys: ES256 signed, verified by public key and by JWKS; the EMQX acl claim is user-bound', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const issuer = createJwtIssuer({ privateKey, algorithm: 'ES256', keyId: 'k1' });
    const { password } = await issuer.issue({ userId: 'alice', ttlSeconds: 60 });
    await expect(verifyChatToken(password, { publicKey, algorithms: ['ES256'], username: 'alice' })).resolves.toMatchObject({ userId: 'alice' });
    const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] });
    await expect(verifyChatToken(password, { jwks, algorithms: ['ES256'], username: 'alice' })).resolves.toMatchObject({ userId: 'alice' });
    await expect(verifyChatToken(password, { publicKey, algorithms: ['RS256'], username: 'alice' })).rejects.toBeInstanceOf(InvalidTokenError);
    const claims = JSON.parse(Buffer.from(password.split('.')[1], 'base64url').toString());
    const allows = claims.acl.filter((rule: { permission: string }) => rule.permission === 'allow');
    // One allow per row of the access table (the full agreement is checked in access-table.test.ts).
    expect(allows.length).toBe(ACCESS_TABLE.length);
    expect(allows.every((rule: { topic: string }) => rule.topic.startsWith('chat/alice/'))).toBe(true);
    expect(claims.acl.at(-1)).toEqual({ permission: 'deny', action: 'all', topic: '#' });
  });

  test('end to end: the handler answer connects to the embedded broker; after refresh the new one does too', async () => {
    const broker = await startEmbeddedBroker({ port: 0, wsPort: 0, auth: { jwtSecret: SECRET } });
    try {
      const handler = createCredentialsHandler({ authenticate: sessionOf, issuer: createJwtIssuer({ secret: SECRET }), ttlSeconds: 60 });
      const first = await (await handler(post({ 'x-session-user': 'alice' }))).json();
      expect((await tryConnect(broker.wsUrl, { username: first.username, password: first.password, clientId: first.clientId })).accepted).toBe(true);
      const refreshed = await (await handler(post({ 'x-session-user': 'alice' }))).json();
      expect((await tryConnect(broker.wsUrl, { username: refreshed.username, password: refreshed.password, clientId: refreshed.clientId })).accepted).toBe(true);
      // alice's password under bob's name is refused.
      expect((await tryConnect(broker.wsUrl, { username: 'bob', password: refreshed.password, clientId: 'bob_bobTab0001' })).accepted).toBe(false);
    } finally {
      await broker.close();
    }
  });
});

/** A stand-in for CloudSignal's token service: `POST /v1/create` → `{ mqtt_username, token_password }`. */
function fakeTokenService(behaviour: { status?: number; body?: unknown; delayMs?: number }) {
  const requests: Array<{ path: string; body: Record<string, unknown> }> = [];
  let issued = 0;
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    requests.push({ path: `${req.method} ${req.url}`, body: JSON.parse(raw || '{}') });
    if (behaviour.delayMs) await sleep(behaviour.delayMs);
    const body = requests.at(-1)!.body;
    const ok = req.url === '/v1/create' && body.organization_id === 'org-1' && body.secret_key === 'sk_test_secret';
    res.writeHead(ok ? (behaviour.status ?? 200) : 403, { 'content-type': 'application/json' });
    res.end(JSON.stringify(ok ? (behaviour.body ?? { mqtt_username: `cs_${body.user_email}`, token_password: `tok_${++issued}` }) : { error: 'forbidden' }));
  });
  return {
    requests,
    async start() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('CloudSignal issuer against a local fake token service', () => {
  const base = { organizationId: 'org-1', secretKey: 'sk_test_secret' };

  test('POST /v1/create with organisation id, secret key and the user e-mail; the browser gets only the temporary credentials', async () => {
    const service = fakeTokenService({});
    const url = await service.start();
    try {
      const clock = 1_800_000_000_000;
      const handler = createCredentialsHandler({ authenticate: () => 'alice', issuer: createCloudSignalIssuer({ ...base, tokenServiceUrl: url, now: () => clock }), ttlSeconds: 3600 });
      const response = await handler(post());
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).not.toContain('sk_test_secret');
      expect(text).not.toContain('org-1');
      expect(JSON.parse(text)).toEqual({ username: 'cs_alice@users.invalid', password: 'tok_1', userId: 'alice', expiresAt: clock + 3_600_000 });
      expect(service.requests).toEqual([{ path: 'POST /v1/create', body: { organization_id: 'org-1', secret_key: 'sk_test_secret', user_email: 'alice@users.invalid' } }]);
      // Refresh: a second call is a second token.
      expect((await (await handler(post())).json()).password).toBe('tok_2');
    } finally {
      await service.close();
    }
  });

  test('expiry from the answer wins over the assumed lifetime; a shorter requested ttl caps the assumption', async () => {
    const clock = 1_800_000_000_000;
    const withExpiry = fakeTokenService({ body: { mqtt_username: 'u', token_password: 'p', expires_in: 600 } });
    const url = await withExpiry.start();
    try {
      expect((await createCloudSignalIssuer({ ...base, tokenServiceUrl: url, now: () => clock }).issue({ userId: 'a', ttlSeconds: 3600 })).expiresAt).toBe(clock + 600_000);
      const plain = fakeTokenService({});
      const plainUrl = await plain.start();
      expect((await createCloudSignalIssuer({ ...base, tokenServiceUrl: plainUrl, now: () => clock }).issue({ userId: 'a', ttlSeconds: 300 })).expiresAt).toBe(clock + 300_000);
      await plain.close();
    } finally {
      await withExpiry.close();
    }
  });

  test('refusal, malformed answer, timeout and a dead service are typed issuer errors (502 at the endpoint)', async () => {
    const refused = fakeTokenService({ status: 500, body: { error: 'internal', secret_key: 'sk_test_secret' } });
    const malformed = fakeTokenService({ body: { mqtt_username: 42 } });
    const slow = fakeTokenService({ delayMs: 2_000 });
    const urls = [await refused.start(), await malformed.start(), await slow.start()];
    try {
      await expect(createCloudSignalIssuer({ ...base, tokenServiceUrl: urls[0] }).issue({ userId: 'a', ttlSeconds: 60 })).rejects.toThrow(/answered 500/);
      await expect(createCloudSignalIssuer({ ...base, tokenServiceUrl: urls[1] }).issue({ userId: 'a', ttlSeconds: 60 })).rejects.toThrow(/lacks mqtt_username/);
      await expect(createCloudSignalIssuer({ ...base, tokenServiceUrl: urls[2], timeoutMs: 200 }).issue({ userId: 'a', ttlSeconds: 60 })).rejects.toBeInstanceOf(IssuerError);
      await expect(createCloudSignalIssuer({ ...base, tokenServiceUrl: 'http://127.0.0.1:1' }).issue({ userId: 'a', ttlSeconds: 60 })).rejects.toThrow(/unreachable/);
      const wrongKey = createCloudSignalIssuer({ ...base, secretKey: 'sk_wrong', tokenServiceUrl: urls[0] });
      const response = await createCredentialsHandler({ authenticate: () => 'a', issuer: wrongKey })(post());
      expect(response.status).toBe(502);
      expect(await response.text()).not.toContain('sk_');
    } finally {
      await Promise.all([refused.close(), malformed.close(), slow.close()]);
    }
  });
});

describe('Mosquitto dynamic-security issuer (real Mosquitto)', () => {
  let broker: MosquittoHandle;
  let admin: MqttClient;
  let issuer: MosquittoDynsecIssuer;

  beforeAll(async () => {
    ({ broker, admin, issuer } = await startDynsecStack('svc-cred-admin'));
    await issuer.setup(); // idempotent
  });

  afterAll(async () => {
    issuer?.close();
    await admin?.endAsync(true);
    await broker?.stop();
  });

  const connectWith = (credentials: { username: string; password: string; clientId?: string }, clientId = credentials.clientId) =>
    tryConnect(broker.wsUrl, { username: credentials.username, password: credentials.password, clientId, protocolVersion: 5 });

  test('provisions an account bound to the tab, and rotates its password on every issue (old one refused)', async () => {
    const handler = createCredentialsHandler({ authenticate: () => 'alice', issuer, ttlSeconds: 300 });
    const first = await (await handler(post({}, JSON.stringify({ clientId: 'alice_tab1tab1' })))).json();
    expect(first).toMatchObject({ username: dynsecAccountName('alice', 'alice_tab1tab1'), clientId: 'alice_tab1tab1', userId: 'alice' });
    expect((await connectWith(first)).accepted).toBe(true);
    const second = await (await handler(post({}, JSON.stringify({ clientId: 'alice_tab1tab1' })))).json();
    expect(second.password).not.toBe(first.password);
    expect((await connectWith(first)).accepted).toBe(false);
    expect((await connectWith(second)).accepted).toBe(true);
    // Bound to its client id: the same secret from another client id is refused.
    expect((await connectWith(second, 'alice_otherTab1')).accepted).toBe(false);
  });

  test("a tab's rotation does not disconnect the user's other tabs", async () => {
    const tab1 = await issuer.issue({ userId: 'carol', ttlSeconds: 300, clientId: 'carol_carolTab1' });
    const tab2 = await issuer.issue({ userId: 'carol', ttlSeconds: 300, clientId: 'carol_carolTab2' });
    const live2 = await mqtt.connectAsync(broker.wsUrl, { username: tab2.username, password: tab2.password, clientId: 'carol_carolTab2', reconnectPeriod: 0 });
    await issuer.issue({ userId: 'carol', ttlSeconds: 300, clientId: 'carol_carolTab1' });
    await issuer.issue({ userId: 'carol', ttlSeconds: 300, clientId: 'carol_carolTab1' });
    expect(await closedWithin(live2, 500)).toBe(false);
    expect((await connectWith(tab1)).accepted).toBe(false);
    await live2.endAsync(true);
  });

  test('without a clientId the issuer assigns one and returns it', async () => {
    const issued = await issuer.issue({ userId: 'dave', ttlSeconds: 300 });
    expect(issued.clientId).toMatch(/^dave_[A-Za-z0-9]{12}$/);
    expect((await connectWith(issued)).accepted).toBe(true);
  });

  test('expiry is enforced by the broker: unrenewed credentials stop working and their session ends', async () => {
    const issued = await issuer.issue({ userId: 'erin', ttlSeconds: 1, clientId: 'erin_erinTab01' });
    const live = await mqtt.connectAsync(broker.wsUrl, { username: issued.username, password: issued.password, clientId: 'erin_erinTab01', reconnectPeriod: 0 });
    expect(await closedWithin(live, 3_000)).toBe(true);
    expect((await connectWith(issued)).accepted).toBe(false);
    await live.endAsync(true);
  });

  test('revoke ends every tab of a user', async () => {
    const issued = await issuer.issue({ userId: 'frank', ttlSeconds: 300, clientId: 'frank_frankTab1' });
    const live = await mqtt.connectAsync(broker.wsUrl, { username: issued.username, password: issued.password, clientId: 'frank_frankTab1', reconnectPeriod: 0 });
    await issuer.revoke('frank');
    expect(await closedWithin(live, 2_000)).toBe(true);
    expect((await connectWith(issued)).accepted).toBe(false);
    await live.endAsync(true);
  });

  test('an existing account that is not a chat account is never taken over', async () => {
    const control = createDynsecControl(admin as unknown as MqttClientLike);
    const [created] = await control.send([{ command: 'createClient', username: dynsecAccountName('mallory', 'mallory_malTab001'), password: 'their-own-password-123', clientid: 'mallory_malTab001', roles: [{ rolename: 'admin' }] }]);
    expect(created.error).toBeUndefined();
    control.close();
    await expect(issuer.issue({ userId: 'mallory', ttlSeconds: 60, clientId: 'mallory_malTab001' })).rejects.toThrow(/refusing to take it over/);
    expect((await connectWith({ username: dynsecAccountName('mallory', 'mallory_malTab001'), password: 'their-own-password-123', clientId: 'mallory_malTab001' })).accepted).toBe(true);
  });

  test('service accounts: bound to their svc- client id; names outside the rules are refused', async () => {
    const service = createServiceAccount('cred-worker');
    await issuer.provisionServiceAccount(service);
    await issuer.provisionServiceAccount(service); // idempotent
    expect((await tryConnect(broker.mqttUrl, { ...service })).accepted).toBe(true);
    expect((await tryConnect(broker.mqttUrl, { ...service, clientId: 'csk_browser' })).accepted).toBe(false);
    await expect(issuer.provisionServiceAccount({ ...service, username: 'worker' })).rejects.toBeInstanceOf(CredentialError);
    await expect(issuer.provisionServiceAccount({ ...service, clientId: 'worker-1' })).rejects.toBeInstanceOf(CredentialError);
  });
});
