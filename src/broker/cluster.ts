/**
 * Aedes nodes as one broker: every node publishes through Redis pub/sub (`mqemitter-redis`) and
 * keeps subscriptions, retained messages, wills and offline queues in Redis
 * (`aedes-persistence-redis`), so a client may connect to any node and see the same topics.
 *
 * Both packages are optional peers: only a clustered broker loads them.
 */
import { Readable } from 'node:stream';
import type { AedesOptions } from 'aedes';

/** How an embedded broker node joins a cluster of nodes that share state through Redis. */
export interface BrokerClusterOptions {
  /**
   * `redis://[user:password@]host:port[/db]`, the same for every node of one cluster. Two clusters
   * must not share a database: channels and keys are not namespaced.
   */
  redisUrl: string;
  /**
   * How often a node announces it is alive, ms. When a node is unheard for three intervals, the
   * others publish the wills of the clients it held (a crashed worker's presence is cleared).
   * Default 2 000 (Aedes' own default, 60 000, would leave a dead node's wills unsent for minutes).
   */
  heartbeatIntervalMs?: number;
}

/** The Aedes options that make a node part of the cluster, and how to let go of Redis. */
export interface BrokerClusterWiring {
  readonly aedes: Pick<AedesOptions, 'mq' | 'persistence' | 'heartbeatInterval'>;
  /** Disconnects from Redis; call after `aedes.close()`. Bounded: a dead Redis does not hang it. */
  close(): Promise<void>;
}

/** `cluster` was asked for but `mqemitter-redis` or `aedes-persistence-redis` is not installed. */
export class ClusterDependencyError extends Error {
  override readonly name = 'ClusterDependencyError';
  constructor(readonly missing: string, cause: unknown) {
    super(`startEmbeddedBroker({ cluster }) needs "${missing}": npm install mqemitter-redis@^7.2 aedes-persistence-redis@^11.2 (12.x needs aedes 2).`, { cause });
  }
}

/** The Redis URL is not one `redis://` (or `rediss://`) address. */
export class InvalidRedisUrlError extends TypeError {
  override readonly name = 'InvalidRedisUrlError';
  constructor(readonly redisUrl: string) {
    super(`cluster.redisUrl must look like redis://host:port[/db], got ${JSON.stringify(redisUrl)}.`);
  }
}

/** Defaults of {@link BrokerClusterOptions}. */
export const BROKER_CLUSTER_DEFAULTS = { heartbeatIntervalMs: 2_000 };

/** How long `close()` waits for Redis to say goodbye before dropping the connections. */
const CLOSE_TIMEOUT_MS = 2_000;

interface RedisConnectionOptions {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: object;
}

/** ioredis options from a Redis URL (each package opens its own connections from them). */
export function redisConnectionOptions(redisUrl: string): RedisConnectionOptions {
  let url: URL;
  try {
    url = new URL(redisUrl);
  } catch {
    throw new InvalidRedisUrlError(redisUrl);
  }
  if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || !url.hostname) throw new InvalidRedisUrlError(redisUrl);
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new InvalidRedisUrlError(redisUrl);
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : 6379,
    db,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

async function load<T>(specifier: string, name: string): Promise<T> {
  try {
    const module = (await import(/* @vite-ignore */ specifier)) as { default?: T };
    return (module.default ?? module) as T;
  } catch (error) {
    throw new ClusterDependencyError(name, error);
  }
}

type EmitterFactory = (options: object) => { close(cb: () => void): void };
interface RedisPersistence {
  destroy(): Promise<void>;
  setup(broker: unknown): Promise<void>;
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<unknown> | Readable;
}
type PersistenceClass = new (options: object) => RedisPersistence;

/**
 * aedes-persistence-redis 11 yields retained messages as an async generator; Aedes 1.2 pipes
 * them (`.pipe()`) and would crash on the first SUBSCRIBE. The other streams it returns are
 * consumed with `pipeline` / `for await`, which take generators as they are.
 */
function streamingRetained(Base: PersistenceClass): PersistenceClass {
  return class extends Base {
    override createRetainedStreamCombi(patterns: string[]): Readable {
      const retained = super.createRetainedStreamCombi(patterns);
      return retained instanceof Readable ? retained : Readable.from(retained);
    }
  };
}

/** Connects one node's emitter and persistence to the cluster's Redis. */
export async function joinBrokerCluster(options: BrokerClusterOptions): Promise<BrokerClusterWiring> {
  const connection = redisConnectionOptions(options.redisUrl);
  const heartbeatInterval = options.heartbeatIntervalMs ?? BROKER_CLUSTER_DEFAULTS.heartbeatIntervalMs;
  const createEmitter = await load<EmitterFactory>('mqemitter-redis', 'mqemitter-redis');
  // The promise-based persistence: aedes 1.x refuses the callback wrapper the package exports.
  const Persistence = await load<PersistenceClass>('aedes-persistence-redis/asyncPersistence.js', 'aedes-persistence-redis');
  // matchEmptyLevels as Aedes' own emitter: `a/+` matches `a/` [MQTT-4.7.1-3].
  const mq = createEmitter({ ...connection, matchEmptyLevels: true });
  const persistence = new (streamingRetained(Persistence))({ ...connection });
  let closing: Promise<void> | null = null;
  return {
    aedes: { mq, persistence, heartbeatInterval },
    close() {
      closing ??= (async () => {
        const bounded = (work: Promise<unknown>) => Promise.race([work.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref())]);
        await bounded(new Promise<void>((resolve) => mq.close(resolve)));
        await bounded(persistence.destroy());
      })();
      return closing;
    },
  };
}
