/**
 * One lease's view of a shared client. It forwards to the real client, and remembers what this
 * lease added, so closing one transport removes its listeners and unsubscribes only the topics
 * no other transport on the same connection still wants.
 */
import type { PoolEntry } from './connection-pool.js';
import {
  addClientListener,
  removeClientListener,
  type MqttClientEvents,
  type MqttClientLike,
  type PublishOptions,
  type QoS,
  type SubscriptionGrant,
} from './mqtt-client.js';

type AnyListener = (...args: never[]) => void;

/** The `MqttClientLike` a transport gets from its lease: the shared client, minus other transports' business. */
export class LeasedClient implements MqttClientLike {
  private readonly added: Array<{ event: keyof MqttClientEvents; listener: AnyListener }> = [];
  private detached = false;

  constructor(private readonly entry: PoolEntry) {}

  private get client(): MqttClientLike | null {
    return this.detached ? null : this.entry.connection.driver.client;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  get options(): MqttClientLike['options'] {
    return this.entry.connection.driver.client?.options;
  }

  /** The shared client's unacknowledged publishes (MQTT.js), so one of this lease's can be withdrawn. */
  get outgoing(): Record<string, { cb?: unknown }> | undefined {
    return (this.client as { outgoing?: Record<string, { cb?: unknown }> } | null)?.outgoing;
  }

  /** Withdraws an unacknowledged publish from the shared client (see `publishWithdrawable`). */
  removeOutgoingMessage(messageId: number): this {
    (this.client as { removeOutgoingMessage?: (id: number) => unknown } | null)?.removeOutgoingMessage?.(messageId);
    return this;
  }

  publish(topic: string, payload: string | Uint8Array, options: PublishOptions, callback?: (error?: Error) => void): unknown {
    const client = this.client;
    if (!client) {
      queueMicrotask(() => callback?.(new Error('No connection to broker')));
      return this;
    }
    return client.publish(topic, payload, options, callback);
  }

  subscribe(topic: string | string[], options: { qos: QoS }, callback?: (error: Error | null, granted?: SubscriptionGrant[]) => void): unknown {
    const client = this.client;
    if (!client) {
      queueMicrotask(() => callback?.(new Error('No connection to broker')));
      return this;
    }
    const topics = Array.isArray(topic) ? topic : [topic];
    for (const filter of topics) {
      let wanting = this.entry.subscribers.get(filter);
      if (!wanting) this.entry.subscribers.set(filter, (wanting = new Set()));
      wanting.add(this);
    }
    // Sent even when another lease holds the topic: the broker re-sends the retained message,
    // which this lease needs (the other one already had it and drops the duplicate). Sent after
    // any UNSUBSCRIBE of these topics still in flight from another lease: a broker may apply
    // that one after this SUBSCRIBE and silently drop the new subscription.
    const pending = topics.map((filter) => this.entry.unsubscribing.get(filter)).filter((p) => p !== undefined);
    if (pending.length === 0) return client.subscribe(topic, options, callback);
    void Promise.all(pending).then(() => {
      const live = this.client;
      if (live) live.subscribe(topic, options, callback);
      else callback?.(new Error('No connection to broker'));
    });
    return this;
  }

  unsubscribe(topic: string | string[], callback?: (error?: Error) => void): unknown {
    const free = this.forget(Array.isArray(topic) ? topic : [topic]);
    const client = this.client;
    if (free.length === 0 || !client) {
      queueMicrotask(() => callback?.());
      return this;
    }
    this.sendUnsubscribe(client, free, callback);
    return this;
  }

  private sendUnsubscribe(client: MqttClientLike, topics: string[], callback?: (error?: Error) => void): void {
    const done = new Promise<void>((resolve) =>
      client.unsubscribe(topics, (error) => {
        resolve();
        callback?.(error);
      }),
    );
    for (const topic of topics) this.entry.unsubscribing.set(topic, done);
    void done.then(() => {
      for (const topic of topics) if (this.entry.unsubscribing.get(topic) === done) this.entry.unsubscribing.delete(topic);
    });
  }

  on(event: keyof MqttClientEvents, listener: AnyListener): this {
    const client = this.client;
    if (!client) return this;
    this.added.push({ event, listener });
    addClientListener(client, event, listener);
    return this;
  }

  off(event: keyof MqttClientEvents, listener: AnyListener): this {
    const index = this.added.findIndex((entry) => entry.event === event && entry.listener === listener);
    if (index >= 0) this.added.splice(index, 1);
    const client = this.entry.connection.driver.client;
    if (client) removeClientListener(client, event, listener);
    return this;
  }

  /** Removes everything this lease added; topics nobody else wants are unsubscribed. */
  detach(): void {
    if (this.detached) return;
    const client = this.entry.connection.driver.client;
    for (const { event, listener } of this.added.splice(0)) if (client) removeClientListener(client, event, listener);
    const held = [...this.entry.subscribers].filter(([, wanting]) => wanting.has(this)).map(([topic]) => topic);
    const free = this.forget(held);
    if (client?.connected && free.length > 0) this.sendUnsubscribe(client, free);
    this.detached = true;
  }

  /** Drops this lease's interest in `topics`; returns those no lease wants any more. */
  private forget(topics: string[]): string[] {
    const free: string[] = [];
    for (const topic of topics) {
      const wanting = this.entry.subscribers.get(topic);
      if (!wanting) {
        free.push(topic);
        continue;
      }
      wanting.delete(this);
      if (wanting.size === 0) {
        this.entry.subscribers.delete(topic);
        free.push(topic);
      }
    }
    return free;
  }
}
