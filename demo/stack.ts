/**
 * The whole demo as one function: broker (embedded unless a hosted one is configured), chat
 * worker, credentials endpoint, HTTP trigger and the Vite-served page, all in one Node process
 * on 127.0.0.1. `demo/server.ts` (`npm run demo`) and the end-to-end tests both start it here.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { convertToModelMessages, streamText } from 'ai';
import type { Plugin } from 'vite';
import { listen, startEmbeddedBroker, EMBEDDED_BROKER_DEFAULTS, type EmbeddedBroker } from '../src/broker/index.js';
export { PortInUseError } from '../src/broker/index.js';
import {
  createChatRequestHandler,
  createChatWorker,
  createCloudSignalIssuer,
  createCredentialsHandler,
  createJwtIssuer,
  createServiceAccount,
  toNodeHandler,
  type ChatTurnHandler,
  type ChatWorker,
  type ChatWorkerStats,
  type CredentialIssuer,
  type ServiceAccount,
} from '../src/server/index.js';
import { isValidSegment, type MqttClientLike } from '../src/transport/index.js';
import { selectModel, type DemoModel, type ModelChoice } from './model.js';
import { readCookie, sendJson } from './node-http.js';
import type { DemoPageConfig } from './config.js';
import { openDemoChatStore, type DemoChatStore } from './chat-store.js';
export { DEMO_CHATS_DIR, NotAChatsDirectoryError } from './chat-store.js';



export const DEMO_DEFAULT_PORT = 5173;
/** The demo's session cookie: the user id the auth endpoint and the HTTP trigger act for. */
export const DEMO_USER_COOKIE = 'csk_demo_user';
/** Header the page sends when opened with `?user=`: picks the demo user explicitly. */
export const DEMO_USER_HEADER = 'x-demo-user';

export interface DemoOptions {
  /** HTTP port of the page, the auth endpoint and the HTTP trigger. Default 5173; 0 picks a free one. */
  port?: number;
  /** Embedded broker's MQTT (TCP) port. Default 1883; 0 picks a free one. */
  mqttPort?: number;
  /** Embedded broker's WebSocket port. Default 9001; 0 picks a free one. */
  wsPort?: number;
  /** Interface for everything. Default 127.0.0.1. */
  host?: string;
  /** Which model: `auto` (default) follows the environment. */
  model?: ModelChoice;
  /** Simulated model's rate. Default 40. */
  tokensPerSecond?: number;
  /** Simulated model's delay before the first token, ms. Default 600. */
  firstTokenDelayMs?: number;
  /** The page's `streamTimeout` (silence before a turn fails), ms. Default: the transport's 60 000. */
  streamTimeoutMs?: number;
  /** Environment to read keys and broker settings from. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Where log lines go. Default `console.log`. */
  log?: (line: string) => void;
  /** Vite's own log level. Default `warn`. */
  viteLogLevel?: 'info' | 'warn' | 'error' | 'silent';
  /** Vite hot reload (the page reloads when `demo/` or `src/` changes). Default true. */
  hmr?: boolean;
  /**
   * PGlite directory holding the chats (`npm run demo`: `.data/demo-chats`). Default: none, the
   * chats live in memory and end with the stack (what the tests want).
   */
  chatsDir?: string;
  /** Start with no chats: empties {@link chatsDir} first. Default false. */
  freshChats?: boolean;
}

export type BrokerKind = 'embedded' | 'external' | 'cloudsignal';
export type BrowserAuthKind = 'jwt' | 'cloudsignal' | 'anonymous';

export interface DemoStats {
  model: { provider: DemoModel['provider']; label: string; calls: number | null; aborted: number | null };
  /** Turns the handler started, and how many of them had their abort signal fire (Stop, shutdown). */
  turns: { started: number; aborted: number };
  worker: (ChatWorkerStats & { workerId: string }) | null;
  workersKilled: number;
  /** Clients connected to the embedded broker (null for a hosted broker). */
  brokerClients: number | null;
}

export interface DemoStack {
  /** The page. */
  readonly url: string;
  readonly port: number;
  /** Broker URLs: the worker's (TCP/TLS) and the browsers' (WebSocket). */
  readonly mqttUrl: string;
  readonly wsUrl: string;
  readonly broker: BrokerKind;
  readonly browserAuth: BrowserAuthKind;
  readonly model: DemoModel;
  /** The embedded broker, when one was started. */
  readonly embeddedBroker: EmbeddedBroker | null;
  /** The chat store the worker reads and writes, and its PGlite directory (null: in memory). */
  readonly chats: DemoChatStore;
  stats(): DemoStats;
  /** Simulates a crashed worker: its socket dies without a word, its running turns stop. */
  killWorker(): void;
  /** Starts a (new) worker, e.g. after {@link killWorker}. */
  startWorker(): Promise<void>;
  /** Stops everything: HTTP, page, worker (running turns get 2 s), trigger client, broker. */
  close(): Promise<void>;
}

/** The environment asks for something the demo cannot do (a half-configured hosted broker, a missing key). */
export class DemoConfigError extends Error {
  override readonly name = 'DemoConfigError';
}

const CLOUDSIGNAL_VARS = [
  'CLOUDSIGNAL_MQTTS_URL',
  'CLOUDSIGNAL_ORG_ID',
  'CLOUDSIGNAL_SECRET_KEY',
  'CLOUDSIGNAL_TOKEN_SERVICE_URL',
  'NEXT_PUBLIC_CLOUDSIGNAL_WSS_URL',
] as const;

const SYSTEM_PROMPT =
  'You are the assistant in a demo of an AI chat whose answers stream to the browser over MQTT. Answer helpfully and concisely in markdown.';

type Env = Record<string, string | undefined>;

interface BrokerPlan {
  kind: BrokerKind;
  mqttUrl?: string;
  wsUrl?: string;
}

function planBroker(env: Env): BrokerPlan {
  const cloudsignal = CLOUDSIGNAL_VARS.filter((name) => env[name]);
  if (cloudsignal.length === CLOUDSIGNAL_VARS.length) {
    return { kind: 'cloudsignal', mqttUrl: env.CLOUDSIGNAL_MQTTS_URL, wsUrl: env.NEXT_PUBLIC_CLOUDSIGNAL_WSS_URL };
  }
  if (cloudsignal.length > 0) {
    const missing = CLOUDSIGNAL_VARS.filter((name) => !env[name]);
    throw new DemoConfigError(`A CloudSignal broker needs all of ${CLOUDSIGNAL_VARS.join(', ')}; missing ${missing.join(', ')}.`);
  }
  if (env.MQTT_URL || env.MQTT_WS_URL) {
    if (!env.MQTT_URL || !env.MQTT_WS_URL) throw new DemoConfigError('A hosted broker needs both MQTT_URL (for the worker) and MQTT_WS_URL (for browsers).');
    return { kind: 'external', mqttUrl: env.MQTT_URL, wsUrl: env.MQTT_WS_URL };
  }
  return { kind: 'embedded' };
}

/** For brokers that let anyone in (`allow_anonymous true`): the user id only picks the topics. */
const anonymousIssuer: CredentialIssuer = {
  name: 'anonymous',
  async issue({ userId }) {
    return { username: userId, password: 'anonymous', expiresAt: Date.now() + 24 * 60 * 60 * 1000 };
  },
};

const shortId = () => randomBytes(4).toString('hex');

/** Starts the demo. Throws {@link PortInUseError} or {@link DemoConfigError} with a one-line message. */
export async function startDemo(options: DemoOptions = {}): Promise<DemoStack> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.log(line));
  const host = options.host ?? '127.0.0.1';
  const plan = planBroker(env);
  const model = await selectModel({ choice: options.model, env, tokensPerSecond: options.tokensPerSecond, firstTokenDelayMs: options.firstTokenDelayMs });
  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) await Promise.resolve(step()).catch(() => undefined);
  };

  try {
    // --- Broker and credentials -------------------------------------------------------------
    let embeddedBroker: EmbeddedBroker | null = null;
    let mqttUrl: string;
    let wsUrl: string;
    let issuer: CredentialIssuer;
    let browserAuth: BrowserAuthKind;
    /** Worker and trigger credentials; `clientId` when the broker binds the account to one. */
    let serviceCredentials: (role: 'worker' | 'trigger') => Promise<{ username?: string; password?: string; clientId?: string }>;

    if (plan.kind === 'embedded') {
      // A fresh signing secret and fresh worker accounts every run: nothing to configure or leak.
      const jwtSecret = randomBytes(32);
      const accounts = { worker: createServiceAccount('demo-worker'), trigger: createServiceAccount('demo-trigger') } satisfies Record<string, ServiceAccount>;
      embeddedBroker = await startEmbeddedBroker({
        host,
        port: options.mqttPort ?? EMBEDDED_BROKER_DEFAULTS.port,
        wsPort: options.wsPort ?? EMBEDDED_BROKER_DEFAULTS.wsPort,
        auth: { jwtSecret, serviceAccounts: [accounts.worker, accounts.trigger], onDenied: (event) => log(`broker refused ${event.stage} of ${event.username ?? event.clientId}${event.topic ? ` on ${event.topic}` : ''}: ${event.reason}`) },
      });
      const broker = embeddedBroker;
      cleanups.push(() => broker.close());
      mqttUrl = broker.mqttUrl;
      wsUrl = broker.wsUrl;
      issuer = createJwtIssuer({ secret: jwtSecret });
      browserAuth = 'jwt';
      serviceCredentials = async (role) => accounts[role];
    } else if (plan.kind === 'external') {
      mqttUrl = plan.mqttUrl!;
      wsUrl = plan.wsUrl!;
      issuer = env.MQTT_JWT_SECRET ? createJwtIssuer({ secret: env.MQTT_JWT_SECRET }) : anonymousIssuer;
      browserAuth = env.MQTT_JWT_SECRET ? 'jwt' : 'anonymous';
      serviceCredentials = async () => ({ username: env.MQTT_USERNAME || undefined, password: env.MQTT_PASSWORD || undefined });
    } else {
      mqttUrl = plan.mqttUrl!;
      wsUrl = plan.wsUrl!;
      issuer = createCloudSignalIssuer({ tokenServiceUrl: env.CLOUDSIGNAL_TOKEN_SERVICE_URL!, organizationId: env.CLOUDSIGNAL_ORG_ID!, secretKey: env.CLOUDSIGNAL_SECRET_KEY! });
      browserAuth = 'cloudsignal';
      // Workers get token-service credentials of their own identity (list it among the policy's publishers),
      // unless MQTT_USERNAME / MQTT_PASSWORD name a service account.
      serviceCredentials = async () =>
        env.MQTT_USERNAME ? { username: env.MQTT_USERNAME, password: env.MQTT_PASSWORD } : issuer.issue({ userId: env.CLOUDSIGNAL_WORKER_ID || 'demo-worker', ttlSeconds: 3600 });
    }

    // --- Chat store: opened before the worker, closed after it (cleanups run in reverse) ----
    const chats = await openDemoChatStore({ dir: options.chatsDir, fresh: options.freshChats });
    cleanups.push(() => chats.store.close());

    // --- The model call: counted, abortable by Stop and by a killed worker ------------------
    const turns = { started: 0, aborted: 0 };
    const makeHandler =
      (via: 'MQTT' | 'HTTP', life?: AbortSignal): ChatTurnHandler =>
      async ({ messages, abortSignal, userId, chatId }) => {
        const turn = `${userId}/${chatId}`;
        turns.started++;
        log(`turn ${turn} (via ${via}): model call started`);
        abortSignal.addEventListener(
          'abort',
          () => {
            turns.aborted++;
            log(`turn ${turn}: model call aborted (${abortSignal.reason instanceof Error ? abortSignal.reason.message : 'stop'})`);
          },
          { once: true },
        );
        return streamText({
          model: model.model,
          system: SYSTEM_PROMPT,
          messages: await convertToModelMessages(messages),
          abortSignal: life ? AbortSignal.any([abortSignal, life]) : abortSignal,
          onFinish: ({ usage }) => log(`turn ${turn}: done, ${usage.outputTokens ?? '?'} tokens`),
          onError: ({ error }) => {
            if (!abortSignal.aborted && !life?.aborted) log(`turn ${turn}: model error: ${error instanceof Error ? error.message : String(error)}`);
          },
        });
      };

    // --- Worker -----------------------------------------------------------------------------
    let worker: ChatWorker | null = null;
    let workerLife: AbortController | null = null;
    let workersKilled = 0;
    const startWorker = async () => {
      if (worker) return;
      const life = new AbortController();
      const credentials = await serviceCredentials('worker');
      worker = await createChatWorker({
        url: mqttUrl,
        username: credentials.username,
        password: credentials.password,
        // The embedded broker binds each service account to its client id (`svc-...`).
        workerId: credentials.clientId ?? `svc-demo-worker-${shortId()}`,
        handler: makeHandler('MQTT', life.signal),
        drainTimeoutMs: 2_000,
        store: chats.store,
        onError: (error) => {
          if (!life.signal.aborted) log(`worker error: ${error instanceof Error ? error.message : String(error)}`);
        },
      });
      workerLife = life;
    };
    const stopWorker = async () => {
      const current = worker;
      worker = null;
      await current?.close();
    };
    await startWorker();
    cleanups.push(stopWorker);

    // --- HTTP trigger's own service connection ----------------------------------------------
    const triggerCredentials = await serviceCredentials('trigger');
    const triggerClient = await mqtt.connectAsync(mqttUrl, {
      clientId: triggerCredentials.clientId ?? `svc-demo-trigger-${shortId()}`,
      username: triggerCredentials.username,
      password: triggerCredentials.password,
      reconnectPeriod: 1_000,
    });
    (triggerClient.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    cleanups.push(() => triggerClient.endAsync());

    // --- Demo session: cookie or ?user= -----------------------------------------------------
    const authenticate = (request: Request): string | null => {
      const explicit = request.headers.get(DEMO_USER_HEADER);
      if (explicit) return isValidSegment(explicit) ? explicit : null;
      const cookie = readCookie(request.headers.get('cookie'), DEMO_USER_COOKIE);
      return cookie && isValidSegment(cookie) ? cookie : null;
    };
    const credentialsRoute = toNodeHandler(
      createCredentialsHandler({ authenticate, issuer, onError: (error) => log(`auth endpoint: ${error instanceof Error ? error.message : String(error)}`) }),
    );
    const chatHandler = createChatRequestHandler({
      client: triggerClient as unknown as MqttClientLike,
      handler: makeHandler('HTTP'),
      store: chats.store,
      authenticate,
      onError: (error) => log(`HTTP trigger: ${error instanceof Error ? error.message : String(error)}`),
    });
    cleanups.push(() => chatHandler.close());
    const chatRoute = toNodeHandler(chatHandler);

    // --- Page (Vite in middleware mode) and routes ------------------------------------------
    const pageConfig: DemoPageConfig = {
      wssUrl: wsUrl,
      model: model.label,
      simulated: model.provider === 'simulated',
      tokensPerSecond: model.simulated?.tokensPerSecond ?? null,
      broker: plan.kind,
      browserAuth,
      streamTimeout: options.streamTimeoutMs ?? null,
      userCookie: DEMO_USER_COOKIE,
      userHeader: DEMO_USER_HEADER,
    };
    const httpServer = createServer();
    // Runs after Vite's close (cleanups run in reverse): Vite ends its HMR WebSockets, which
    // `closeAllConnections` does not touch and `close` would wait for.
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          httpServer.close(() => resolve());
          httpServer.closeAllConnections();
        }),
    );
    const { createServer: createViteServer } = await import('vite');
    const { default: react } = await import('@vitejs/plugin-react');
    const demoDir = fileURLToPath(new URL('.', import.meta.url));
    const repoRoot = fileURLToPath(new URL('..', import.meta.url));
    const vite = await createViteServer({
      configFile: false,
      root: demoDir,
      cacheDir: fileURLToPath(new URL('../node_modules/.vite-demo', import.meta.url)),
      plugins: [react(), demoConfigPlugin(pageConfig)],
      appType: 'spa',
      logLevel: options.viteLogLevel ?? 'warn',
      clearScreen: false,
      server: {
        middlewareMode: true,
        hmr: options.hmr === false ? false : { server: httpServer },
        fs: { allow: [repoRoot] },
      },
      optimizeDeps: { entries: ['index.html'] },
    });
    cleanups.push(() => vite.close());

    httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/api/mqtt-token') return credentialsRoute(req, res);
      if (path === '/api/chat') return chatRoute(req, res);
      if (path === '/__demo/stats') return sendJson(res, 200, stats());
      // First visit: a demo session, so every tab of this browser is the same user.
      if (req.method === 'GET' && (req.headers.accept ?? '').includes('text/html') && !readCookie(req.headers.cookie, DEMO_USER_COOKIE)) {
        res.setHeader('set-cookie', `${DEMO_USER_COOKIE}=guest-${shortId()}; Path=/; SameSite=Lax; Max-Age=2592000`);
      }
      vite.middlewares(req, res, () => {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      });
    });
    await listen(httpServer, options.port ?? DEMO_DEFAULT_PORT, host, 'HTTP');
    const port = (httpServer.address() as { port: number }).port;

    const stats = (): DemoStats => ({
      model: { provider: model.provider, label: model.label, calls: model.simulated ? model.simulated.model.calls.length : null, aborted: model.simulated ? model.simulated.model.aborted : null },
      turns: { ...turns },
      worker: worker ? { ...worker.stats, workerId: worker.workerId } : null,
      workersKilled,
      brokerClients: embeddedBroker ? embeddedBroker.connectedClients() : null,
    });

    let closing: Promise<void> | null = null;
    return {
      url: `http://${host}:${port}/`,
      port,
      mqttUrl,
      wsUrl,
      broker: plan.kind,
      browserAuth,
      model,
      embeddedBroker,
      chats,
      stats,
      killWorker() {
        const current = worker;
        if (!current) return;
        worker = null;
        workersKilled++;
        const client = current.client as unknown as { options: { reconnectPeriod: number }; stream?: { destroy(): void }; end(force: boolean): void };
        client.options.reconnectPeriod = 0;
        // No DISCONNECT: the broker sees a dead socket and publishes the worker's will.
        client.stream?.destroy();
        client.end(true);
        workerLife?.abort(new Error('worker killed'));
        log(`worker ${current.workerId} killed (simulated crash)`);
      },
      startWorker,
      close() {
        closing ??= cleanup();
        return closing;
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}


/** `import config from 'virtual:demo-config'` in the page: what the server knows and the page needs. */
function demoConfigPlugin(config: DemoPageConfig): Plugin {
  const id = 'virtual:demo-config';
  const resolved = `\0${id}`;
  return {
    name: 'demo-config',
    resolveId: (source) => (source === id ? resolved : undefined),
    load: (source) => (source === resolved ? `export default ${JSON.stringify(config)};` : undefined),
  };
}
