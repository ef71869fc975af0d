/**
 * Mosquitto dynamic-security credentials against a real Mosquitto: their expiry survives an
 * issuer restart (F7), one user cannot grow the account list without bound (F10), and no user
 * can get an account bound to another user's or the admin's client id (F8). Every test here
 * failed before its fix.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { createMosquittoDynsecIssuer, DEFAULT_MAX_DYNSEC_ACCOUNTS_PER_USER, type MosquittoDynsecIssuer } from '../../src/server/credentials/mosquitto-dynsec.js';
import { createDynsecControl } from '../../src/server/credentials/dynsec-control.js';
import type { IssuedCredentials } from '../../src/server/credentials/types.js';
import type { MqttClientLike } from '../../src/transport/mqtt-client.js';
import { startDynsecStack } from '../helpers/dynsec.js';
import type { MosquittoHandle } from '../helpers/mosquitto.js';
import { closedWithin, tryConnect } from './acl-targets.js';

let broker: MosquittoHandle;
let admin: MqttClient;
let issuer: MosquittoDynsecIssuer;
const extra: Array<{ issuer: MosquittoDynsecIssuer; admin: MqttClient }> = [];

beforeAll(async () => {
  ({ broker, admin, issuer } = await startDynsecStack('svc-lifetime-admin'));
});

afterAll(async () => {
  for (const other of extra) {
    other.issuer.close();
    await other.admin.endAsync(true);
  }
  issuer?.close();
  await admin?.endAsync(true);
  await broker?.stop();
});

/** A second issuer process: its own admin connection, as after a restart. */
async function restartedIssuer(clientId: string, options: { now?: () => number; maxAccountsPerUser?: number } = {}): Promise<MosquittoDynsecIssuer> {
  const connection = await mqtt.connectAsync(broker.mqttUrl, { username: broker.admin!.username, password: broker.admin!.password, clientId, reconnectPeriod: 0 });
  const restarted = createMosquittoDynsecIssuer({ admin: connection as unknown as MqttClientLike, ...options });
  extra.push({ issuer: restarted, admin: connection });
  return restarted;
}

const connectAs = (credentials: IssuedCredentials, clientId = credentials.clientId) =>
  mqtt.connectAsync(broker.wsUrl, { username: credentials.username, password: credentials.password, clientId, reconnectPeriod: 0, protocolVersion: 5 });
const accepted = async (credentials: IssuedCredentials, clientId = credentials.clientId) =>
  (await tryConnect(broker.wsUrl, { username: credentials.username, password: credentials.password, clientId, protocolVersion: 5 })).accepted;

async function accountsOf(userId: string): Promise<string[]> {
  const control = createDynsecControl(admin as unknown as MqttClientLike);
  const [listed] = await control.send([{ command: 'listClients' }]);
  control.close();
  const names = ((listed.data as { clients?: Array<string | { username: string }> }).clients ?? []).map((client) => (typeof client === 'string' ? client : client.username));
  return names.filter((name) => name.startsWith(`${userId}.`));
}

describe('F7: expiry is stored with the account and swept by a restarted issuer', () => {
  test('an account that expired while no issuer ran is deleted by the next one on setup(), ending its session', async () => {
    const first = await restartedIssuer('svc-issuer-a');
    await first.setup();
    const issued = await first.issue({ userId: 'erin', ttlSeconds: 60 });
    const live = await connectAs(issued);
    // The issuer process dies: its expiry timers die with it.
    first.close();
    // The next issuer starts an hour later (its clock), after the account's expiry.
    const next = await restartedIssuer('svc-issuer-b', { now: () => Date.now() + 3_600_000 });
    await next.setup();
    expect(await closedWithin(live, 5_000)).toBe(true);
    expect(await accepted(issued)).toBe(false);
    expect(await accountsOf('erin')).toEqual([]);
    await live.endAsync(true);
  });

  test("a restarted issuer knows the previous issuer's live accounts: revoke() ends them", async () => {
    const first = await restartedIssuer('svc-issuer-c');
    await first.setup();
    const issued = await first.issue({ userId: 'frank', ttlSeconds: 300 });
    const live = await connectAs(issued);
    first.close();
    const next = await restartedIssuer('svc-issuer-d');
    await next.setup();
    // Still valid after the restart's sweep: it has not expired.
    expect(live.connected).toBe(true);
    await next.revoke('frank');
    expect(await closedWithin(live, 5_000)).toBe(true);
    expect(await accepted(issued)).toBe(false);
    await live.endAsync(true);
  });
});

describe('F10: accounts per user are bounded', () => {
  test(`a user asking for many tabs keeps at most maxAccountsPerUser (default ${DEFAULT_MAX_DYNSEC_ACCOUNTS_PER_USER}); the newest work, the oldest are replaced`, async () => {
    const capped = await restartedIssuer('svc-issuer-e', { maxAccountsPerUser: 4 });
    await capped.setup();
    const tabs: IssuedCredentials[] = [];
    for (let i = 0; i < 12; i++) tabs.push(await capped.issue({ userId: 'gina', ttlSeconds: 300 }));
    expect(await accountsOf('gina')).toHaveLength(4);
    expect(await accepted(tabs[0])).toBe(false);
    expect(await accepted(tabs.at(-1)!)).toBe(true);
    // Renewing a tab it already holds does not cost another account.
    await capped.issue({ userId: 'gina', ttlSeconds: 300, clientId: tabs.at(-1)!.clientId });
    expect(await accountsOf('gina')).toHaveLength(4);
  });
});

describe('F8: client ids are bound to the user', () => {
  test("asking for another user's client id or the admin's gets a fresh id of one's own; the victim stays connected", async () => {
    const alice = await issuer.issue({ userId: 'alice', ttlSeconds: 300 });
    expect(alice.clientId).toMatch(/^alice_[A-Za-z0-9]{12}$/);
    const aliceLive = await connectAs(alice);
    for (const wanted of [alice.clientId!, 'svc-lifetime-admin', 'dynsec-admin']) {
      const mallory = await issuer.issue({ userId: 'mallory', ttlSeconds: 300, clientId: wanted });
      expect(mallory.clientId).toMatch(/^mallory_[A-Za-z0-9]{12}$/);
      expect(await accepted(mallory, wanted)).toBe(false);
    }
    expect(aliceLive.connected).toBe(true);
    expect(admin.connected).toBe(true);
    await aliceLive.endAsync(true);
  });

  test('setup() refuses an admin connection outside the reserved svc- namespace', async () => {
    const plain = await restartedIssuer('dynsec-admin');
    await expect(plain.setup()).rejects.toThrow(/svc-/);
  });
});
