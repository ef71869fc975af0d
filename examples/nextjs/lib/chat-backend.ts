/**
 * The chat backend of this example, started once per server process from `instrumentation.ts`:
 * the embedded MQTT broker, a chat worker (MQTT trigger) and the service connection the HTTP
 * trigger publishes with. Route handlers reach it through `chatBackend()`.
 *
 * Next.js bundles `instrumentation.ts` and each route separately, so module state is not shared
 * between them: the backend lives on `globalThis`.
 */
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import type { MqttClientLike } from '@cloudsignal/ai-chat-kit';
import { startEmbeddedBroker, type EmbeddedBroker } from '@cloudsignal/ai-chat-kit/broker';
import { createChatWorker, createJwtIssuer, createServiceAccount, type ChatWorker, type CredentialIssuer } from '@cloudsignal/ai-chat-kit/server';
import { chatConfig } from './config';
import { chatTurn } from './model';

export interface ChatBackend {
  broker: EmbeddedBroker;
  worker: ChatWorker;
  /** Signs the browsers' short-lived MQTT credentials (the credentials route hands them out). */
  issuer: CredentialIssuer;
  /** The HTTP trigger's service connection. */
  triggerClient: MqttClientLike;
}

const key = Symbol.for('cloudsignal-chat-example.backend');
type Holder = { [key]?: Promise<ChatBackend> };

/** Starts the backend (once per process) and returns it. */
export function startChatBackend(): Promise<ChatBackend> {
  const holder = globalThis as Holder;
  holder[key] ??= start();
  return holder[key];
}

/** The running backend; `instrumentation.ts` has started it before any request arrives. */
export function chatBackend(): Promise<ChatBackend> {
  return startChatBackend();
}

async function start(): Promise<ChatBackend> {
  // A fresh signing secret and fresh service accounts per process: nothing to configure or leak.
  const jwtSecret = randomBytes(32);
  const accounts = { worker: createServiceAccount('next-worker'), trigger: createServiceAccount('next-trigger') };
  const broker = await startEmbeddedBroker({
    host: chatConfig.host,
    port: chatConfig.mqttPort,
    wsPort: chatConfig.wsPort,
    auth: { jwtSecret, serviceAccounts: [accounts.worker, accounts.trigger] },
  });
  const worker = await createChatWorker({ url: broker.mqttUrl, account: accounts.worker, handler: chatTurn });
  const triggerClient = await mqtt.connectAsync(broker.mqttUrl, {
    clientId: accounts.trigger.clientId,
    username: accounts.trigger.username,
    password: accounts.trigger.password,
    reconnectPeriod: 1_000,
  });
  console.log(`chat backend: broker ${broker.mqttUrl} (browsers: ${broker.wsUrl}), worker ${worker.stats.mode}`);
  return { broker, worker, issuer: createJwtIssuer({ secret: jwtSecret }), triggerClient };
}
