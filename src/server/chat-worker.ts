/**
 * `createChatWorker`: serves the `request` topics of every user and chat. Workers scale out
 * through shared subscriptions where the broker delivers them; where it does not (Aedes), the
 * worker detects it and falls back to rendezvous ownership among live workers.
 */
import mqtt from 'mqtt';
import { decodeRequest, type RequestEnvelope } from '../transport/envelope.js';
import { randomId } from '../transport/ids.js';
import { publishAsync, subscribeAsync, unsubscribeAsync, type MqttClientLike } from '../transport/mqtt-client.js';
import { assertSegment, DEFAULT_TOPIC_PREFIX, TopicScheme, type ChatAddress } from '../transport/topics.js';
import { publishStreamToMqtt, type PublishStreamOptions } from './publish-stream.js';
import { RateLimiter, type RateLimitOptions } from './rate-limiter.js';
import { DEFAULT_REQUEST_LIMITS, validateTurnRequest, type RequestLimits } from './request-validation.js';
import { runTurn, type ChatTurnHandler } from './turn-runner.js';
import { WorkerMembership } from './worker-membership.js';
import { keepReconnecting } from './reconnect.js';
import { enableNoDelay } from './no-delay.js';

/** Options of {@link createChatWorker}: a connection (`client`, or `url` and credentials) and the turn `handler`. */
export interface ChatWorkerOptions {
  /** A connected client. Give this or `url`. */
  client?: MqttClientLike;
  /** Broker URL (mqtt://, mqtts://, ws://); the worker connects with a service account. */
  url?: string;
  username?: string;
  password?: string;
  handler: ChatTurnHandler;
  /** Shared subscription group. Default `chat-workers`. */
  group?: string;
  topicPrefix?: string;
  /** `auto` probes the broker; `on` trusts it; `off` always uses rendezvous ownership. */
  sharedSubscriptions?: 'auto' | 'on' | 'off';
  limits?: Partial<RequestLimits>;
  /** Per-user turn rate limit. Default 30 turns per minute. `false` disables it. */
  rateLimit?: RateLimitOptions | false;
  publish?: Omit<PublishStreamOptions, 'requestId' | 'topicPrefix' | 'abortController' | 'userMessage' | 'onStart'>;
  workerId?: string;
  /** Presence heartbeat for rendezvous mode, ms. Default 5 000. */
  presenceIntervalMs?: number;
  /** How long the shared-subscription probe waits, ms. Default 750. */
  probeTimeoutMs?: number;
  /** How long `close()` waits for running turns before aborting them, ms. Default 10 000. */
  drainTimeoutMs?: number;
  onError?: (error: unknown) => void;
}

/** Live counters of a worker. */
export interface ChatWorkerStats {
  mode: 'shared' | 'rendezvous';
  received: number;
  served: number;
  rejected: number;
  rateLimited: number;
  duplicates: number;
  notOwned: number;
  /** Requests received through the shared subscription and handed to the member that owns them. */
  forwarded: number;
  dropped: number;
  active: number;
}

/** A running worker: its id, its client, live `stats`, and `close()` (drains running turns). */
export interface ChatWorker {
  readonly workerId: string;
  readonly client: MqttClientLike;
  readonly stats: ChatWorkerStats;
  /** Stops taking turns, waits for running ones (aborting them after `drainTimeoutMs`), disconnects if it connected. */
  close(): Promise<void>;
}

const WORKER_DEFAULTS = {
  group: 'chat-workers',
  topicPrefix: DEFAULT_TOPIC_PREFIX,
  sharedSubscriptions: 'auto' as 'auto' | 'on' | 'off',
  rateLimit: { turns: 30, perMs: 60_000 } as RateLimitOptions | false,
  presenceIntervalMs: 5_000,
  probeTimeoutMs: 750,
  drainTimeoutMs: 10_000,
};

/**
 * Starts a worker that serves the `request` topics (the transport's `trigger: 'mqtt'`): each
 * request is validated, rate-limited, answered by `handler` and streamed back over MQTT. Workers
 * with the same `group` share the load (shared subscriptions where the broker delivers them,
 * rendezvous ownership where it does not).
 *
 * @example
 * ```ts
 * import { streamText, convertToModelMessages } from 'ai';
 * import { createChatWorker } from '@cloudsignal/ai-chat-kit/server';
 *
 * const worker = await createChatWorker({
 *   url: 'mqtts://broker.example.com:8883',
 *   username: 'svc@worker-1', password: process.env.WORKER_SECRET, workerId: 'svc-worker-1',
 *   handler: async ({ messages, abortSignal }) =>
 *     streamText({ model, messages: await convertToModelMessages(messages), abortSignal }),
 * });
 * // on shutdown: await worker.close();
 * ```
 */
export async function createChatWorker(options: ChatWorkerOptions): Promise<ChatWorker> {
  const settings = { ...WORKER_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as typeof WORKER_DEFAULTS & ChatWorkerOptions;
  assertSegment('group', settings.group);
  const topics = new TopicScheme(settings.topicPrefix);
  const workerId = settings.workerId ?? `worker_${randomId(12)}`;
  const ownsClient = !options.client;
  const client = options.client ?? (await connectServiceClient(settings, topics, workerId));
  enableNoDelay(client);
  client.on('connect', () => enableNoDelay(client));

  const limits = { ...DEFAULT_REQUEST_LIMITS, ...settings.limits };
  const rateLimiter = settings.rateLimit ? new RateLimiter(settings.rateLimit) : null;
  const seen = new RecentIds(10_000);
  const chatQueues = new Map<string, Promise<unknown>>();
  const running = new Set<Promise<unknown>>();
  // One controller per running turn rather than one shared shutdown signal with a listener per
  // turn (Node warns past ten listeners); `close()` aborts them all after the drain timeout.
  const turnAborts = new Set<AbortController>();
  const stats: ChatWorkerStats = { mode: 'shared', received: 0, served: 0, rejected: 0, rateLimited: 0, duplicates: 0, notOwned: 0, forwarded: 0, dropped: 0, active: 0 };
  let membership: WorkerMembership | null = null;
  let accepting = true;

  const publish = (address: ChatAddress, requestId: string, errorText: string) =>
    publishStreamToMqtt(client, address, errorStream(errorText), { requestId, topicPrefix: topics.prefix, replayGraceMs: 0 }).catch(settings.onError);

  const onMessage = (topic: string, payload: Uint8Array, packet?: unknown): void => {
    const parsed = topics.parse(topic);
    // A request another member received through the shared subscription and found ours.
    const handedOver = parsed ? null : topics.parseWorkerInbox(topic, settings.group, workerId);
    if (!handedOver && (!parsed || parsed.channel !== 'request')) return;
    if (!accepting) return;
    stats.received++;
    // A retained request was stored, not sent now: Mosquitto cannot refuse a browser's retained
    // publish, and serving it would re-run the turn on every worker (re)start.
    if (parsed && (packet as { retain?: boolean } | undefined)?.retain) {
      stats.dropped++;
      return;
    }
    const decoded = decodeRequest(payload);
    if (!decoded.ok) {
      stats.dropped++;
      return;
    }
    const request = decoded.value;
    // QoS 1 redelivery and racing workers: one turn per request id.
    if (seen.has(request.requestId)) {
      stats.duplicates++;
      return;
    }
    const address = handedOver ?? { userId: parsed!.userId, chatId: parsed!.chatId };
    const owner = membership && !handedOver ? membership.owner(request.requestId) : workerId;
    if (owner !== workerId) {
      seen.add(request.requestId);
      if (stats.mode === 'rendezvous') {
        stats.notOwned++;
        return;
      }
      // Shared subscriptions hand each copy of a request (a client's QoS 1 retransmission, a
      // re-sent request) to any member: only the owner's own memory of ids can drop the copies,
      // so every copy goes to the owner, who serves it once.
      stats.forwarded++;
      void publishAsync(client, topics.workerInboxTopic(settings.group, owner, address), payload, { qos: 1 }).catch(settings.onError);
      return;
    }
    seen.add(request.requestId);
    if (rateLimiter && !rateLimiter.take(address.userId)) {
      stats.rateLimited++;
      void publish(address, request.requestId, 'Too many requests: please wait a moment before sending another message.');
      return;
    }
    enqueue(address, request, payload.byteLength);
  };

  const enqueue = (address: ChatAddress, request: RequestEnvelope, bytes: number) => {
    const key = `${address.userId}/${address.chatId}`;
    const previous = chatQueues.get(key);
    // Turns of one chat run one after another, so their retained state never interleaves.
    const job = (previous ?? Promise.resolve()).then(() => serve(address, request, bytes));
    chatQueues.set(key, job);
    running.add(job);
    stats.active++;
    void job.finally(() => {
      running.delete(job);
      stats.active--;
      if (chatQueues.get(key) === job) chatQueues.delete(key);
    });
  };

  const serve = async (address: ChatAddress, request: RequestEnvelope, bytes: number) => {
    let messages;
    try {
      messages = await validateTurnRequest(request, bytes, limits);
    } catch (error) {
      stats.rejected++;
      await publish(address, request.requestId, error instanceof Error ? error.message : 'Invalid request.');
      return;
    }
    const turnAbort = new AbortController();
    turnAborts.add(turnAbort);
    try {
      await runTurn({ client, topics, address, request, messages, handler: settings.handler, publish: settings.publish, signal: turnAbort.signal });
      stats.served++;
    } catch (error) {
      settings.onError?.(error);
    } finally {
      turnAborts.delete(turnAbort);
    }
  };

  client.on('message', onMessage);
  const shared = await chooseSubscription(client, topics, settings, workerId);
  if (!shared) stats.mode = 'rendezvous';
  // Both modes know the live members: rendezvous to pick the one worker that serves a request,
  // shared mode to send every copy of a request to that same worker.
  membership = new WorkerMembership(client, topics, settings.group, workerId, settings.presenceIntervalMs);
  await membership.start();
  const requestFilter = shared ? topics.sharedRequestFilter(settings.group) : topics.requestFilter();
  const inboxFilter = topics.workerInboxFilter(settings.group, workerId);
  const filters = shared ? [requestFilter, inboxFilter] : [requestFilter];
  if (shared) await subscribeAsync(client, inboxFilter, 1);
  client.on('connect', () => void subscribeAsync(client, filters, 1).catch(() => undefined));

  return {
    workerId,
    client,
    stats,
    async close() {
      if (!accepting) return;
      accepting = false;
      await unsubscribeAsync(client, filters);
      const drained = Promise.allSettled([...running]);
      const timer = setTimeout(() => {
        for (const turnAbort of turnAborts) turnAbort.abort(new Error('worker shutting down'));
      }, settings.drainTimeoutMs);
      await drained;
      clearTimeout(timer);
      await membership?.stop();
      client.off('message', onMessage);
      if (ownsClient) await new Promise<void>((resolve) => (client as unknown as { end: (force: boolean, opts: object, cb: () => void) => void }).end(false, {}, () => resolve()));
    },
  };
}

/** Subscribes to requests and returns whether shared subscriptions are really delivered. */
async function chooseSubscription(client: MqttClientLike, topics: TopicScheme, settings: typeof WORKER_DEFAULTS, workerId: string): Promise<boolean> {
  if (settings.sharedSubscriptions === 'off') {
    await subscribeAsync(client, topics.requestFilter(), 1);
    return false;
  }
  const grants = await subscribeAsync(client, topics.sharedRequestFilter(settings.group), 1);
  if (grants.some((grant) => grant.qos === 128)) {
    await subscribeAsync(client, topics.requestFilter(), 1);
    return false;
  }
  if (settings.sharedSubscriptions === 'on') return true;
  // Some brokers (Aedes) grant `$share/...` and then deliver nothing: prove delivery with a probe.
  const probeTopic = topics.sharedProbeTopic(workerId);
  const delivered = await new Promise<boolean>((resolve) => {
    const onMessage = (topic: string) => {
      if (topic === probeTopic) finish(true);
    };
    const finish = (value: boolean) => {
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve(value);
    };
    const timer = setTimeout(() => finish(false), settings.probeTimeoutMs);
    client.on('message', onMessage);
    void subscribeAsync(client, `$share/${settings.group}/${probeTopic}`, 1)
      .then(() => publishAsync(client, probeTopic, 'probe', { qos: 1 }))
      .catch(() => finish(false));
  });
  void unsubscribeAsync(client, `$share/${settings.group}/${probeTopic}`);
  if (!delivered) {
    await unsubscribeAsync(client, topics.sharedRequestFilter(settings.group));
    await subscribeAsync(client, topics.requestFilter(), 1);
  }
  return delivered;
}

async function connectServiceClient(settings: ChatWorkerOptions, topics: TopicScheme, workerId: string): Promise<MqttClientLike> {
  if (!settings.url) throw new TypeError('createChatWorker needs `client` or `url`.');
  const client = await mqtt.connectAsync(settings.url, {
    clientId: workerId,
    username: settings.username,
    password: settings.password,
    reconnectPeriod: 0, // keepReconnecting: backoff with jitter instead of a fixed period
    clean: true,
    // A crashed worker leaves the rendezvous group at once instead of after three heartbeats.
    will: { topic: topics.workerPresenceTopic(settings.group ?? WORKER_DEFAULTS.group, workerId), payload: new Uint8Array(0) as never, qos: 1, retain: true },
  });
  keepReconnecting(client);
  return client as unknown as MqttClientLike;
}


function errorStream(errorText: string): ReadableStream {
  return new ReadableStream({
    start(controller) {
      controller.enqueue({ type: 'error', errorText });
      controller.close();
    },
  });
}

/** A bounded set of recent ids (insertion order eviction). */
class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly capacity: number) {}
  has(id: string): boolean {
    return this.ids.has(id);
  }
  add(id: string): void {
    this.ids.add(id);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value as string);
  }
}
