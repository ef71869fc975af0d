/**
 * Options of `applyBrokerAuth` the matrix does not exercise: asymmetric tokens through a JWKS,
 * a custom service check, service accounts over WebSocket when allowed, and the session map.
 */
import { describe, expect, test } from 'vitest';
import { generateKeyPair, exportJWK, createLocalJWKSet } from 'jose';
import { Aedes } from 'aedes';
import { startEmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { applyBrokerAuth } from '../../src/broker/auth.js';
import { createJwtIssuer } from '../../src/server/credentials/jwt.js';
import { createServiceAccount } from '../../src/server/credentials/service-account.js';
import { connect, tryConnect } from './acl-targets.js';

describe('applyBrokerAuth options', () => {
  test('ES256 tokens verified through a JWKS, with issuer and audience checks', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] });
    const broker = await startEmbeddedBroker({ port: 0, wsPort: 0, auth: { jwks, algorithms: ['ES256'], issuer: 'https://app.test', audience: 'mqtt' } });
    try {
      const good = createJwtIssuer({ privateKey, algorithm: 'ES256', keyId: 'k1', issuer: 'https://app.test', audience: 'mqtt' });
      const wrongAudience = createJwtIssuer({ privateKey, algorithm: 'ES256', keyId: 'k1', issuer: 'https://app.test', audience: 'other' });
      const ok = await good.issue({ userId: 'alice', ttlSeconds: 60 });
      const bad = await wrongAudience.issue({ userId: 'alice', ttlSeconds: 60 });
      expect((await tryConnect(broker.wsUrl, { username: 'alice', password: ok.password, clientId: ok.clientId })).accepted).toBe(true);
      expect((await tryConnect(broker.wsUrl, { username: 'alice', password: bad.password, clientId: bad.clientId })).accepted).toBe(false);
    } finally {
      await broker.close();
    }
  });

  test('a custom service check sees username, password and client id; WebSocket allowed when asked', async () => {
    const account = createServiceAccount('custom');
    const checked: string[] = [];
    const broker = await startEmbeddedBroker({
      port: 0,
      wsPort: 0,
      auth: {
        jwtSecret: 'x'.repeat(32),
        allowServiceOverWebSocket: true,
        verifyService: async (username, password, clientId) => {
          checked.push(clientId);
          return username === account.username && password === account.password && clientId === account.clientId;
        },
      },
    });
    try {
      expect((await tryConnect(broker.wsUrl, { ...account })).accepted).toBe(true);
      expect((await tryConnect(broker.mqttUrl, { ...account, password: 'wrong-password-wrong-password' })).accepted).toBe(false);
      // A browser-style client id is refused before the custom check is even asked.
      expect((await tryConnect(broker.mqttUrl, { ...account, clientId: 'csk_x' })).accepted).toBe(false);
      expect(checked).toEqual([account.clientId, account.clientId]);
    } finally {
      await broker.close();
    }
  });

  test('principalOf tracks live sessions; dispose stops expiry timers', async () => {
    const aedes = await Aedes.createBroker();
    const auth = applyBrokerAuth(aedes, { jwtSecret: 'y'.repeat(32) });
    expect(auth.principalOf('nobody')).toBeUndefined();
    auth.dispose();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    expect(() => applyBrokerAuth(aedes, { publicKey: {} as never })).toThrow(/algorithms/);
  });

  test('principalOf names the authenticated browser', async () => {
    const secret = 'z'.repeat(32);
    const aedes = await Aedes.createBroker();
    const auth = applyBrokerAuth(aedes, { jwtSecret: secret });
    const { createServer } = await import('node:net');
    const server = createServer((socket) => aedes.handle(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const token = await createJwtIssuer({ secret }).issue({ userId: 'alice', ttlSeconds: 60 });
      const client = await connect(url, { username: 'alice', password: token.password, clientId: 'alice_principal1' });
      expect(auth.principalOf('alice_principal1')).toEqual({ kind: 'browser', userId: 'alice', clientId: 'alice_principal1' });
      await client.endAsync();
      await expect.poll(() => auth.principalOf('alice_principal1')).toBeUndefined();
    } finally {
      auth.dispose();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    }
  });
});
