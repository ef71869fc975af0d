/**
 * The two brokers the ACL matrix runs against, behind one small interface: the embedded Aedes
 * broker with `applyBrokerAuth`, and a real Mosquitto with dynamic security provisioned by
 * `createMosquittoDynsecIssuer`. Each hands out real credentials the way production would.
 */
import type { MqttClientLike } from '../../src/transport/mqtt-client.js';
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import { startEmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { createJwtIssuer } from '../../src/server/credentials/jwt.js';
import { createMosquittoDynsecIssuer } from '../../src/server/credentials/mosquitto-dynsec.js';
import { createServiceAccount, type ServiceAccount } from '../../src/server/credentials/service-account.js';
import type { DeniedEvent } from '../../src/broker/auth.js';
import { startMosquitto } from '../helpers/mosquitto.js';

export interface BrowserCredentials {
  username: string;
  password: string;
  clientId: string;
}

export interface AclTarget {
  name: 'embedded' | 'mosquitto';
  tcpUrl: string;
  wsUrl: string;
  /** MQTT version browsers use in the matrix: 3.1.1 on Aedes (all it speaks), 5 on Mosquitto (explicit PUBACK refusals). */
  browserProtocol: 4 | 5;
  service: ServiceAccount;
  /** A second worker account: the matrix's observer (the first one is used for connect cases that would take over its session). */
  observer: ServiceAccount;
  /** Valid credentials for a user's tab. */
  issue(userId: string, clientId: string, ttlSeconds?: number): Promise<BrowserCredentials>;
  /** Credentials that were valid and have expired. */
  expired(userId: string, clientId: string): Promise<BrowserCredentials>;
  /** A credential whose secret was altered after issue. */
  tampered(userId: string, clientId: string): Promise<BrowserCredentials>;
  /** Refusals the broker reported (embedded only; Mosquitto logs them). */
  denied: DeniedEvent[];
  /** The broker's log (Mosquitto) or a rendering of `denied` (embedded). */
  logs(): string;
  close(): Promise<void>;
}

export const JWT_SECRET = 'matrix-secret-0123456789-0123456789-abcdef';

export async function embeddedTarget(): Promise<AclTarget> {
  const service = createServiceAccount('matrix');
  const observer = createServiceAccount('observer');
  const denied: DeniedEvent[] = [];
  const broker = await startEmbeddedBroker({
    port: 0,
    wsPort: 0,
    auth: { jwtSecret: JWT_SECRET, serviceAccounts: [service, observer], onDenied: (event) => denied.push(event) },
  });
  const issuer = createJwtIssuer({ secret: JWT_SECRET });
  const issue = async (userId: string, clientId: string, ttlSeconds = 300) => {
    const credentials = await issuer.issue({ userId, ttlSeconds });
    return { username: credentials.username, password: credentials.password, clientId };
  };
  return {
    name: 'embedded',
    tcpUrl: broker.mqttUrl,
    wsUrl: broker.wsUrl,
    browserProtocol: 4,
    service,
    observer,
    issue,
    async expired(userId, clientId) {
      const past = createJwtIssuer({ secret: JWT_SECRET, now: () => Date.now() - 3_600_000 });
      const credentials = await past.issue({ userId, ttlSeconds: 60 });
      return { username: userId, password: credentials.password, clientId };
    },
    async tampered(userId, clientId) {
      // Re-sign nothing: take another user's valid token and rewrite its subject to ours.
      const other = await issue('mallory', clientId);
      const [header, payload, signature] = other.password.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      claims.sub = userId;
      claims.topicPrefix = `chat/${userId}`;
      const forged = Buffer.from(JSON.stringify(claims)).toString('base64url');
      return { username: userId, password: `${header}.${forged}.${signature}`, clientId };
    },
    denied,
    logs: () => denied.map((event) => `${event.stage} ${event.clientId}: ${event.reason}`).join('\n'),
    close: () => broker.close(),
  };
}

export async function mosquittoTarget(): Promise<AclTarget> {
  const broker = await startMosquitto({ auth: 'dynsec' });
  const admin = await mqtt.connectAsync(broker.mqttUrl, { username: broker.admin!.username, password: broker.admin!.password, clientId: 'svc-matrix-admin', reconnectPeriod: 0 });
  const issuer = createMosquittoDynsecIssuer({ admin: admin as unknown as MqttClientLike });
  await issuer.setup();
  const service = createServiceAccount('matrix');
  const observer = createServiceAccount('observer');
  await issuer.provisionServiceAccount(service);
  await issuer.provisionServiceAccount(observer);
  const issue = async (userId: string, clientId: string, ttlSeconds = 300) => {
    const credentials = await issuer.issue({ userId, ttlSeconds, clientId });
    return { username: credentials.username, password: credentials.password, clientId: credentials.clientId! };
  };
  return {
    name: 'mosquitto',
    tcpUrl: broker.mqttUrl,
    wsUrl: broker.wsUrl,
    browserProtocol: 5,
    service,
    observer,
    issue,
    async expired(userId, clientId) {
      const credentials = await issue(userId, clientId, 1);
      await new Promise((resolve) => setTimeout(resolve, 1_400));
      return credentials;
    },
    async tampered(userId, clientId) {
      const credentials = await issue(userId, clientId);
      const last = credentials.password.at(-1) === 'A' ? 'B' : 'A';
      return { ...credentials, password: credentials.password.slice(0, -1) + last };
    },
    denied: [],
    logs: () => broker.logs(),
    async close() {
      issuer.close();
      await admin.endAsync(true);
      await broker.stop();
    },
  };
}

/** Connects with MQTT.js the way the kit does (no automatic reconnect), failing fast. */
export function connect(url: string, options: IClientOptions): Promise<MqttClient> {
  return mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5_000, clean: true, ...options });
}

/** Resolves with `accepted`, or `refused` plus the broker's reason when the CONNECT was refused. */
export async function tryConnect(url: string, options: IClientOptions): Promise<{ accepted: boolean; error?: string }> {
  try {
    const client = await connect(url, options);
    await client.endAsync(true);
    return { accepted: true };
  } catch (error) {
    return { accepted: false, error: (error as Error).message };
  }
}

/** Resolves once the client's connection has closed (or after `ms`, with false). */
export function closedWithin(client: MqttClient, ms: number): Promise<boolean> {
  if (!client.connected) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    client.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Publishes and reports what the broker did: `acked`, `closed` (the broker ended the session),
 * or `error: ...` (e.g. an MQTT 5 PUBACK "not authorized"). QoS 0 publishes report `sent`.
 */
export async function publishOutcome(client: MqttClient, topic: string, payload: string | Buffer, options: { qos: 0 | 1 | 2; retain?: boolean }, ms = 2_000): Promise<string> {
  const closed = closedWithin(client, ms).then((didClose) => (didClose ? 'closed' : 'timeout'));
  const published = client.publishAsync(topic, payload, options).then(
    () => (options.qos === 0 ? 'sent' : 'acked'),
    (error: Error) => `error: ${error.message}`,
  );
  const first = await Promise.race([published, closed]);
  // A QoS 0 publish "succeeds" locally; give the broker a moment to end the session if it refuses.
  if (first === 'sent') return (await closedWithin(client, 300)) ? 'closed' : 'sent';
  return first;
}
