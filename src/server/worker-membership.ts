/**
 * Who else serves this worker group, for brokers that do not deliver shared subscriptions.
 * Each worker heartbeats a retained presence message; a request is served by the live member
 * with the highest rendezvous hash of its request id, so exactly one worker takes each turn
 * without any broker feature beyond plain subscriptions.
 */
import { publishAsync, subscribeAsync, type MqttClientLike } from '../transport/mqtt-client.js';
import type { TopicScheme } from '../transport/topics.js';

export class WorkerMembership {
  private readonly lastSeen = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly filterPrefix: string;

  constructor(
    private readonly client: MqttClientLike,
    private readonly topics: TopicScheme,
    private readonly group: string,
    readonly workerId: string,
    private readonly intervalMs: number,
  ) {
    this.filterPrefix = topics.workerPresenceFilter(group).slice(0, -1);
  }

  private readonly onMessage = (topic: string, payload: Uint8Array): void => {
    if (!topic.startsWith(this.filterPrefix)) return;
    const id = topic.slice(this.filterPrefix.length);
    if (payload.byteLength === 0) this.lastSeen.delete(id);
    else if (id !== this.workerId) this.lastSeen.set(id, Date.now());
  };

  async start(): Promise<void> {
    this.client.on('message', this.onMessage);
    await subscribeAsync(this.client, this.topics.workerPresenceFilter(this.group), 1);
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.intervalMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** True when this worker owns `requestId` among the members alive now. */
  owns(requestId: string): boolean {
    const now = Date.now();
    let best = this.workerId;
    let bestScore = score(requestId, this.workerId);
    for (const [id, seen] of this.lastSeen) {
      if (now - seen > this.intervalMs * 3) continue;
      const s = score(requestId, id);
      if (s > bestScore || (s === bestScore && id > best)) {
        best = id;
        bestScore = s;
      }
    }
    return best === this.workerId;
  }

  get members(): number {
    return this.lastSeen.size + 1;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.client.off('message', this.onMessage);
    await publishAsync(this.client, this.topics.workerPresenceTopic(this.group, this.workerId), '', { qos: 1, retain: true }).catch(() => undefined);
  }

  private beat(): Promise<void> {
    return publishAsync(this.client, this.topics.workerPresenceTopic(this.group, this.workerId), String(Date.now()), { qos: 1, retain: true }).catch(() => undefined);
  }
}

/** FNV-1a of request id + worker id: stable, fast, evenly spread. */
function score(requestId: string, workerId: string): number {
  let hash = 0x811c9dc5;
  const text = `${requestId}:${workerId}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
