/**
 * Routes incoming MQTT messages by exact topic. One listener on the client, a map lookup per
 * message: the transport subscribes exact topics only, so no wildcard matching on the hot path.
 */
import type { MqttClientLike } from './mqtt-client.js';

export type TopicHandler = (payload: Uint8Array, topic: string) => void;

export class MessageRouter {
  private readonly handlers = new Map<string, TopicHandler>();
  private client: MqttClientLike | null = null;
  /** Counts messages for topics nobody routes (e.g. a late retained message after release). */
  unrouted = 0;

  private readonly onMessage = (topic: string, payload: Uint8Array): void => {
    const handler = this.handlers.get(topic);
    if (handler) handler(payload, topic);
    else this.unrouted++;
  };

  attach(client: MqttClientLike): void {
    if (this.client === client) return;
    this.detach();
    this.client = client;
    client.on('message', this.onMessage);
  }

  detach(): void {
    this.client?.off('message', this.onMessage);
    this.client = null;
  }

  set(topic: string, handler: TopicHandler): void {
    this.handlers.set(topic, handler);
  }

  delete(topic: string): void {
    this.handlers.delete(topic);
  }
}
