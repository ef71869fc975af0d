/**
 * `createChatWorker`: serves the `request` topics of every user and chat, and every user's
 * `~/query` topic, over one chat store. Workers scale out through shared subscriptions where the
 * broker delivers them; where it does not (Aedes), the worker detects it and falls back to
 * rendezvous ownership among live workers. A chat is owned by one live worker, so its turns run
 * one after another against the stored history.
 */
import mqtt from 'mqtt';
import type { UIMessage } from 'ai';
import { decodeQuery, decodeRequest, type QueryEnvelope } from '../transport/envelope.js';
import { randomId } from '../transport/ids.js';
import { isCredentialRefusal, publishAsync, setConnectIdentity, type MqttClientLike } from '../transport/mqtt-client.js';
import { assertSegment, DEFAULT_TOPIC_PREFIX, TopicScheme, type ChatAddress } from '../transport/topics.js';
import type { ServiceAccount } from './credentials/service-account.js';
import { DEFAULT_MERGE_WINDOW_MS, type PublishStreamOptions } from './publish-stream.js';
import { RateLimiter, type RateLimitOptions } from './rate-limiter.js';
import { AdaptiveCoalescer, type AdaptiveCoalescingOptions } from './adaptive-coalescer.js';
import { assertRequestSize, DEFAULT_REQUEST_LIMITS, InvalidRequestError, validateTurnRequest, type RequestLimits } from './request-validation.js';
import { RequestDedupe } from './request-dedupe.js';
import type { ChatTurnHandler } from './turn-runner.js';
import { TurnService, type TurnPublishSettings } from './turn-service.js';
import { DEFAULT_QUERY_LIMITS, QueryResponder, type QueryLimits } from './query-responder.js';
import { DEFAULT_REPLAY_BUDGET, type ReplayBudget } from './turn-publisher.js';
import { DEFAULT_PRESENCE_INTERVAL_MS, DEFAULT_WORKER_GROUP, nextIncarnation, presenceWill, WorkerMembership } from './worker-membership.js';
import { MessageDispatcher, type Route } from './message-dispatcher.js';
import { keepReconnecting } from './reconnect.js';
import { enableNoDelay } from './no-delay.js';
import type { ChatStore } from './store/chat-store.js';
import { createMemoryChatStore } from './store/memory-chat-store.js';
import { fromCallbacks, type ChatStoreCallbacks } from './store/callbacks-chat-store.js';

/** Options of {@link createChatWorker}: a connection (`client`, or `url` and credentials) and the turn `handler`. */
export interface ChatWorkerOptions {
  /** A connected client. Give this, `url` or `urls`. */
  client?: MqttClientLike;
  /** Broker URL (mqtt://, mqtts://, ws://); the worker connects with a service account. */
  url?: string;
  /**
   * Several URLs of one broker cluster: the worker connects to the first that answers and, when its
   * node dies, moves to the next, keeping its running turns (chunks published meanwhile are queued
   * and replayable from the turn's log).
   */
  urls?: string[];
  /** The worker's service account, as `createServiceAccount` returns it: its client id becomes the worker id. */
  account?: ServiceAccount;
  username?: string;
  password?: string;
  handler: ChatTurnHandler;
  /** Where conversations live. Default: an in-memory store (nothing survives the process). */
  store?: ChatStore;
  /** Instead of `store`: the app's own persistence, as the AI SDK's persistence guide writes it (see `fromCallbacks` for its limits). */
  loadMessages?: ChatStoreCallbacks['loadMessages'];
  saveMessages?: ChatStoreCallbacks['saveMessages'];
  /** Shared subscription group. Default `chat-workers`. */
  group?: string;
  topicPrefix?: string;
  /** `auto` probes the broker; `on` trusts it; `off` always uses rendezvous ownership. */
  sharedSubscriptions?: 'auto' | 'on' | 'off';
  limits?: Partial<RequestLimits>;
  queryLimits?: Partial<QueryLimits>;
  /** Per-user turn rate limit. Default 30 turns per minute. `false` disables it. */
  rateLimit?: RateLimitOptions | false;
  /** Per-user query rate limit. Default 120 queries per minute. `false` disables it. */
  queryRateLimit?: RateLimitOptions | false;
  /** Per-client replay rate limit, all turns together. Default 120 replays per minute. `false` disables it. */
  replayRateLimit?: RateLimitOptions | false;
  /** Replays answered per turn and per client of a turn. Default {@link DEFAULT_REPLAY_BUDGET}. */
  replayBudget?: Partial<ReplayBudget>;
  /**
   * Adaptive coalescing of text deltas: every token leaves at once while the broker keeps up; when
   * publishes lag or the socket backs up, deltas merge for about one lag (at most `maxWindowMs`).
   * `true` for the defaults, or options; `false` (the default) for the fixed `publish.mergeWindowMs`.
   * The coalescing benchmark (`npm run bench -- coalescing`) measured the same p50 at 50 tok/s as a
   * fixed window of 0; it stays off by default because merged deltas change what readers see
   * (fewer, longer `text-delta` chunks after a lag), which apps and tests may count on.
   */
  adaptiveCoalescing?: boolean | Partial<AdaptiveCoalescingOptions>;
  publish?: Omit<PublishStreamOptions, 'coalescer' | 'requestId' | 'topicPrefix' | 'abortController' | 'userMessage' | 'onStart' | 'signal' | 'messageId'>;
  workerId?: string;
  /**
   * Presence heartbeat, ms; a silent member counts as gone after three. Default 5 000. Where the
   * broker hides retained records from wildcard subscriptions (RabbitMQ), a starting or reconnecting
   * worker also listens one interval before it takes requests.
   */
  presenceIntervalMs?: number;
  /** How long the shared-subscription probe waits, ms. Default 750. */
  probeTimeoutMs?: number;
  /** How long `close()` waits for running turns before aborting them, ms. Default 10 000. */
  drainTimeoutMs?: number;
  /**
   * With `url` or `urls`: how long the first connection may keep failing (broker not up yet,
   * connection reset) before `createChatWorker` rejects, ms. Refused credentials reject at once.
   * Default 30 000.
   */
  connectTimeoutMs?: number;
  onError?: (error: unknown) => void;
}

/** Live counters of a worker. */
export interface ChatWorkerStats {
  mode: 'shared' | 'rendezvous';
  received: number;
  served: number;
  /** Requests answered with a refusal: invalid, too large, or not applicable to the stored chat. */
  rejected: number;
  rateLimited: number;
  /** Copies of a request already taken (QoS 1 redelivery, a re-send, a forwarded copy). */
  duplicates: number;
  /** Requests the store already held (re-sent after a restart): answered, not run again. */
  storedDuplicates: number;
  notOwned: number;
  /** Requests and queries dropped because they arrived while this worker (re)joined its group; their clients re-send. */
  droppedWhileJoining: number;
  /** Requests received through the shared subscription and handed to the member that owns them. */
  forwarded: number;
  /** Malformed, retained or unanswerable requests, and jobs refused by a full chat queue. */
  dropped: number;
  active: number;
  /** Running turns of dead workers this worker marked failed. */
  swept: number;
  /** Replay controls refused by the replay budgets (counted when their turn ends). */
  replaysRefused: number;
  queries: number;
  queriesAnswered: number;
  queriesRateLimited: number;
}

/** A running worker: its id, its client, live `stats`, and `close()` (drains running turns). */
export interface ChatWorker {
  readonly workerId: string;
  readonly client: MqttClientLike;
  /** A snapshot of the worker's counters. */
  readonly stats: ChatWorkerStats;
  /** The store the worker reads and writes conversations through. */
  readonly store: ChatStore;
  /** Marks failed the running turns of workers that are gone (it also runs on every heartbeat); resolves with how many. */
  sweep(): Promise<number>;
  /** Stops taking turns, waits for running ones (aborting them after `drainTimeoutMs`), disconnects if it connected. */
  close(): Promise<void>;
}

const WORKER_DEFAULTS = {
  group: DEFAULT_WORKER_GROUP,
  topicPrefix: DEFAULT_TOPIC_PREFIX,
  sharedSubscriptions: 'auto' as 'auto' | 'on' | 'off',
  rateLimit: { turns: 30, perMs: 60_000 } as RateLimitOptions | false,
  queryRateLimit: { turns: 120, perMs: 60_000 } as RateLimitOptions | false,
  replayRateLimit: { turns: 120, perMs: 60_000 } as RateLimitOptions | false,
  presenceIntervalMs: DEFAULT_PRESENCE_INTERVAL_MS,
  probeTimeoutMs: 750,
  drainTimeoutMs: 10_000,
  connectTimeoutMs: 30_000,
};

const PUBLISH_DEFAULTS: TurnPublishSettings = { streamQos: 0, completeQos: 1, mergeWindowMs: DEFAULT_MERGE_WINDOW_MS, completeExpirySeconds: 86_400, replayGraceMs: 30_000 };

/**
 * Starts a worker. The handler is called with the whole stored conversation; the request carried
 * only its new message.
 *
 * @example
 * const worker = await createChatWorker({
 *   urls: ['mqtt://broker-a:1883', 'mqtt://broker-b:1883'],
 *   account: serviceAccount, // from createServiceAccount('worker-1')
 *   store: createPgliteChatStore({ dataDir: './chats' }),
 *   handler: ({ messages, abortSignal }) => streamText({ model, messages: convertToModelMessages(messages), abortSignal }),
 * });
 */
export async function createChatWorker(options: ChatWorkerOptions): Promise<ChatWorker> {
  const settings = { ...WORKER_DEFAULTS, ...definedOnly(options) } as typeof WORKER_DEFAULTS & ChatWorkerOptions;
  assertSegment('group', settings.group);
  const topics = new TopicScheme(settings.topicPrefix);
  const workerId = settings.workerId ?? settings.account?.clientId ?? `worker_${randomId(12)}`;
  assertSegment('clientId', workerId);
  const store = resolveStore(options);
  // Background work (sweeps, forwards, query answers) reports here and never rejects unhandled.
  const report = (error: unknown) => settings.onError?.(error);
  const ownsClient = !options.client;
  // The connection's incarnation: its last will names it, so a will published late is told stale.
  const incarnation = nextIncarnation();
  const client = options.client ?? (await connectServiceClient(settings, topics, workerId, incarnation));
  enableNoDelay(client);
  client.on('connect', () => enableNoDelay(client));

  const limits: RequestLimits = { ...DEFAULT_REQUEST_LIMITS, ...settings.limits };
  const rateLimiter = settings.rateLimit ? new RateLimiter(settings.rateLimit) : null;
  const replayLimiter = settings.replayRateLimit ? new RateLimiter(settings.replayRateLimit) : null;
  const dedupe = new RequestDedupe();
  const counters = { received: 0, rateLimited: 0, duplicates: 0, notOwned: 0, forwarded: 0, dropped: 0, droppedWhileJoining: 0 };
  let mode: ChatWorkerStats['mode'] = 'shared';
  let accepting = true;
  const membership = new WorkerMembership(client, topics, settings.group, workerId, settings.presenceIntervalMs, incarnation);
  const isPresent = (id: string) => membership.isPresent(id);

  const service = new TurnService({
    client,
    topics,
    store,
    handler: settings.handler,
    workerId,
    publish: {
      ...PUBLISH_DEFAULTS,
      ...definedOnly(settings.publish ?? {}),
      // One coalescer per connection: every turn on it sees the same link.
      ...coalescerOf(settings.adaptiveCoalescing ?? false),
    },
    replayBudget: { ...DEFAULT_REPLAY_BUDGET, ...settings.replayBudget },
    allowReplay: replayLimiter ? (clientId) => replayLimiter.take(clientId) : undefined,
    onError: settings.onError,
  });
  const responder = new QueryResponder({
    client,
    topics,
    service,
    limits: { ...DEFAULT_QUERY_LIMITS, ...settings.queryLimits },
    limiter: settings.queryRateLimit ? new RateLimiter(settings.queryRateLimit) : null,
    isPresent,
    // A runner (an HTTP trigger) subscribes no inbox: it cannot be asked, so its turn is answered live.
    forward: (owner, userId, chatId, payload) => !membership.isRunner(owner) && forwardTo(owner, { userId, chatId }, payload),
    onError: settings.onError,
  });

  const forwardTo = (owner: string, address: ChatAddress, payload: Uint8Array): boolean => {
    if (owner === workerId) return false;
    void publishAsync(client, topics.workerInboxTopic(settings.group, owner, address), payload, { qos: 1 }).catch(report);
    return true;
  };
  const chatKey = (address: ChatAddress) => `${address.userId}/${address.chatId}`;

  // Requests of one chat are validated in arrival order, so they queue in that order.
  const intake = new Map<string, Promise<void>>();
  const inOrder = (address: ChatAddress, step: () => Promise<void>) => {
    const key = chatKey(address);
    const next = (intake.get(key) ?? Promise.resolve()).then(step).catch(report);
    intake.set(key, next);
    void next.finally(() => {
      if (intake.get(key) === next) intake.delete(key);
    });
  };

  const onRequest = (address: ChatAddress, payload: Uint8Array, handedOver: boolean): void => {
    counters.received++;
    // Size before anything is decoded (issue 14, F9): a huge request costs no parse.
    try {
      assertRequestSize(payload.byteLength, limits);
    } catch (error) {
      const requestId = peekRequestId(payload);
      if (requestId && dedupe.add(address.userId, requestId)) service.refuse(address, requestId, (error as Error).message);
      else counters.dropped++;
      return;
    }
    const decoded = decodeRequest(payload);
    if (!decoded.ok) {
      counters.dropped++;
      return;
    }
    const request = decoded.value;
    if (!handedOver) {
      const owner = membership.owner(chatKey(address));
      if (owner !== workerId) {
        if (mode === 'rendezvous') counters.notOwned++;
        // Shared subscriptions hand each copy of a request (a QoS 1 retransmission, a re-send) to
        // any member: every copy goes to the chat's owner, whose memory of ids drops the copies.
        else if (forwardTo(owner, address, payload)) counters.forwarded++;
        return;
      }
    }
    if (!dedupe.add(address.userId, request.requestId)) {
      counters.duplicates++;
      // The acknowledgement may have been lost: a re-sent request gets it again.
      service.reacknowledge(address, request.requestId);
      return;
    }
    if (rateLimiter && !rateLimiter.take(address.userId)) {
      counters.rateLimited++;
      if (!service.refuse(address, request.requestId, 'Too many requests: please wait a moment before sending another message.')) counters.dropped++;
      return;
    }
    inOrder(address, async () => {
      let incoming: UIMessage | undefined;
      try {
        incoming = await validateTurnRequest(request, limits);
      } catch (error) {
        const text = error instanceof InvalidRequestError ? error.message : 'Invalid request.';
        if (!service.refuse(address, request.requestId, text)) counters.dropped++;
        return;
      }
      if (!service.accept(address, request, incoming)) {
        counters.dropped++;
        // Not acknowledged, so the client re-sends it: let the re-send in.
        dedupe.forget(address.userId, request.requestId);
      }
    });
  };

  const onQuery = (userId: string, query: QueryEnvelope, payload: Uint8Array): void => {
    // A turn lookup belongs to the chat's owner (it holds the chat's queued and running turns).
    const key = query.op === 'turn' ? `${userId}/${query.chatId}` : query.queryId;
    const owner = query.op === 'turn' || mode === 'rendezvous' ? membership.owner(key) : workerId;
    if (owner !== workerId) {
      if (mode === 'shared' && query.op === 'turn') forwardTo(owner, { userId, chatId: query.chatId }, payload);
      return;
    }
    // A lookup waits behind the chat's requests that arrived before it: a client that sends a request
    // and then asks about it must hear "live", not "unknown" while the request is still being validated.
    if (query.op === 'turn') inOrder({ userId, chatId: query.chatId }, () => responder.handle(userId, query, payload));
    else void responder.handle(userId, query, payload).catch(report);
  };

  const dispatcher = MessageDispatcher.for(client);
  const onRequestMessage = (topic: string, payload: Uint8Array, packet: { retain?: boolean } | undefined) => {
    if (!accepting) return;
    // A retained request was stored, not sent now: Mosquitto cannot refuse a browser's retained
    // publish, and serving it would re-run the turn on every worker (re)start.
    if (packet?.retain) {
      counters.received++;
      counters.dropped++;
      return;
    }
    const parsed = topics.parse(topic)!;
    admit(() => onRequest({ userId: parsed.userId, chatId: parsed.chatId }, payload, false));
  };
  // Requests and queries are decided with a membership every member agrees on (see WorkerMembership).
  const admit = (work: () => void) => {
    if (membership.admit(work) === 'dropped') counters.droppedWhileJoining++;
  };
  const routeRequests = (filter: string) => dispatcher.route({ filters: [filter], accepts: (topic) => topics.parse(topic)?.channel === 'request', handler: onRequestMessage });
  // Both modes know the live members: rendezvous to pick the one worker that serves a chat,
  // shared mode to send every copy of a request to that same worker. Joined before requests are
  // subscribed, so every member knows this worker before it receives any.
  await membership.start();
  const requestRoute = await chooseSubscription(client, topics, settings, workerId, routeRequests);
  const shared = requestRoute.shared;
  if (!shared) mode = 'rendezvous';
  const routes: Route[] = [requestRoute.route];
  routes.push(
    dispatcher.route({
      filters: [shared ? topics.sharedQueryFilter(settings.group) : topics.queryFilter()],
      accepts: (topic) => topics.parseUser(topic)?.channel === 'query',
      handler: (topic, payload, packet) => {
        if (!accepting || packet?.retain) return;
        const query = responder.decode(payload);
        if (query) admit(() => onQuery(topics.parseUser(topic)!.userId, query, payload));
      },
    }),
    dispatcher.route({
      filters: [topics.workerInboxFilter(settings.group, workerId)],
      accepts: (topic) => topics.parseWorkerInbox(topic, settings.group, workerId) !== null,
      handler: (topic, payload) => {
        if (!accepting) return;
        const address = topics.parseWorkerInbox(topic, settings.group, workerId)!;
        // The inbox carries requests and turn lookups other members received for chats this worker owns.
        const query = payload.byteLength <= DEFAULT_QUERY_LIMITS.maxQueryBytes ? decodeQuery(payload) : null;
        const lookup = query?.ok && query.value.op === 'turn' ? query.value : null;
        if (lookup) admit(() => inOrder(address, () => responder.handle(address.userId, lookup, payload, true)));
        else admit(() => onRequest(address, payload, true));
      },
    }),
  );
  await Promise.all(routes.map((route) => route.ready));
  const stopSweeping = membership.onTick(() => void service.sweep(isPresent).catch(report));

  return {
    workerId,
    client,
    store,
    get stats(): ChatWorkerStats {
      return {
        mode,
        ...counters,
        served: service.stats.served,
        rejected: service.stats.rejected,
        storedDuplicates: service.stats.storedDuplicates,
        dropped: counters.dropped + service.stats.queueFull,
        active: service.stats.active,
        swept: service.stats.swept,
        replaysRefused: service.stats.replaysRefused,
        queries: responder.stats.queries,
        queriesAnswered: responder.stats.answered,
        queriesRateLimited: responder.stats.rateLimited,
      };
    },
    sweep: () => service.sweep(isPresent),
    async close() {
      if (!accepting) return;
      accepting = false;
      stopSweeping();
      await Promise.all(routes.map((route) => route.release()));
      await service.drain(settings.drainTimeoutMs, 'worker shutting down');
      await membership.stop();
      // A client that lost its connection has nothing left to flush: waiting for its queue would hang.
      if (ownsClient) await new Promise<void>((resolve) => (client as unknown as { end: (force: boolean, opts: object, cb: () => void) => void }).end(!client.connected, {}, () => resolve()));
    },
  };
}

/** The connection's coalescer for `adaptiveCoalescing` (resolved against its default), or nothing. */
function coalescerOf(setting: boolean | Partial<AdaptiveCoalescingOptions>): { coalescer?: AdaptiveCoalescer } {
  if (setting === false) return {};
  return { coalescer: new AdaptiveCoalescer(setting === true ? {} : setting) };
}

function resolveStore(options: ChatWorkerOptions): ChatStore {
  if (options.store && (options.loadMessages || options.saveMessages)) throw new TypeError('createChatWorker takes `store` or `loadMessages`/`saveMessages`, not both.');
  if (options.store) return options.store;
  if (options.loadMessages || options.saveMessages) {
    if (!options.loadMessages || !options.saveMessages) throw new TypeError('createChatWorker needs both `loadMessages` and `saveMessages`.');
    return fromCallbacks({ loadMessages: options.loadMessages, saveMessages: options.saveMessages });
  }
  return createMemoryChatStore();
}

/** The request id of a payload too large to decode, read from its first bytes (the codec writes `"r"` second). */
function peekRequestId(payload: Uint8Array): string | null {
  const head = new TextDecoder().decode(payload.subarray(0, 128));
  return /^\{"v":1,"r":"([A-Za-z0-9_-]{1,64})"/.exec(head)?.[1] ?? null;
}

/** Subscribes to requests, shared where the broker really delivers shared subscriptions, plain otherwise. */
async function chooseSubscription(
  client: MqttClientLike,
  topics: TopicScheme,
  settings: typeof WORKER_DEFAULTS,
  workerId: string,
  routeRequests: (filter: string) => Route,
): Promise<{ route: Route; shared: boolean }> {
  const plain = () => ({ route: routeRequests(topics.requestFilter()), shared: false });
  if (settings.sharedSubscriptions === 'off') return plain();
  const sharedRoute = routeRequests(topics.sharedRequestFilter(settings.group));
  const grants = await sharedRoute.ready;
  let delivered = !grants.some((grant) => grant.qos === 128);
  if (delivered && settings.sharedSubscriptions === 'auto') {
    // Some brokers (Aedes) grant `$share/...` and then deliver nothing: prove delivery with a probe.
    const probeTopic = topics.sharedProbeTopic(workerId);
    const dispatcher = MessageDispatcher.for(client);
    delivered = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => finish(false), settings.probeTimeoutMs);
      const route = dispatcher.route({ filters: [`$share/${settings.group}/${probeTopic}`], accepts: (topic) => topic === probeTopic, handler: () => finish(true) });
      function finish(value: boolean) {
        clearTimeout(timer);
        void route.release();
        resolve(value);
      }
      void route.ready.then(() => publishAsync(client, probeTopic, 'probe', { qos: 1 })).catch(() => finish(false));
    });
  }
  if (delivered) return { route: sharedRoute, shared: true };
  await sharedRoute.release();
  return plain();
}

async function connectServiceClient(settings: ChatWorkerOptions, topics: TopicScheme, workerId: string, incarnation: number): Promise<MqttClientLike> {
  const urls = settings.urls ?? (settings.url ? [settings.url] : []);
  if (urls.length === 0) throw new TypeError('createChatWorker needs `client`, `url` or `urls`.');
  const connectOptions = {
    clientId: workerId,
    username: settings.account?.username ?? settings.username,
    password: settings.account?.password ?? settings.password,
    reconnectPeriod: 0, // keepReconnecting: backoff with jitter instead of a fixed period
    clean: true,
    // A crashed worker leaves the group at once instead of after three heartbeats.
    will: presenceWill(topics, settings.group ?? WORKER_DEFAULTS.group, workerId, incarnation),
  };
  // MQTT.js moves to the next of `servers` on every reconnect; keepReconnecting drives the reconnects.
  const servers = urls.map((url) => {
    const parsed = new URL(url);
    return { host: parsed.hostname, port: Number(parsed.port), protocol: parsed.protocol.replace(/:$/, '') as 'mqtt' };
  });
  const client = mqtt.connect(urls[0], { ...connectOptions, ...(urls.length > 1 ? { servers } : {}) });
  // Every reconnect with several URLs may land on another node, under a fresh client id: a
  // cluster that still holds the old id's session on a dead node (RabbitMQ) closed each new
  // connection with it right after CONNACK, for as long as that node stayed down. The worker's
  // identity is its worker id (presence, inbox), not the MQTT client id. Kept when the account
  // binds the id.
  const movable = urls.length > 1 && settings.account?.clientId === undefined;
  keepReconnecting(client, undefined, movable ? () => setConnectIdentity(client, { clientId: `${workerId}-${randomId(8)}` }) : undefined);
  const timeoutMs = settings.connectTimeoutMs ?? WORKER_DEFAULTS.connectTimeoutMs;
  // A broker that is still starting (or resets the first connections) is retried with backoff,
  // on every URL in turn, until the deadline; refused credentials end it at once.
  await new Promise<void>((resolve, reject) => {
    const fail = (reason: string) => {
      cleanup();
      client.end(true);
      reject(new Error(`createChatWorker could not connect to ${urls.join(', ')}: ${reason}`));
    };
    const onConnect = () => {
      cleanup();
      resolve();
    };
    const onError = (error: Error & { code?: unknown }) => {
      if (isCredentialRefusal(error)) fail(`the broker refused the credentials (${error.message})`);
    };
    const deadline = setTimeout(() => fail(`no connection within ${timeoutMs} ms`), timeoutMs);
    const cleanup = () => {
      clearTimeout(deadline);
      client.off('connect', onConnect);
      client.off('error', onError);
    };
    client.on('connect', onConnect);
    client.on('error', onError);
  });
  return client as unknown as MqttClientLike;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
