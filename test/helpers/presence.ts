/**
 * Waits until live presence heartbeats of every given worker have reached every given node: from
 * then on, the workers on those nodes know each other and rendezvous ownership picks one owner.
 * An event to wait for instead of a sleep.
 */
import mqtt from 'mqtt';
import { TopicScheme } from '../../src/transport/index.js';

export async function waitForPresence(nodeUrls: readonly string[], workerIds: readonly string[], group = 'chat-workers'): Promise<void> {
  const topics = new TopicScheme();
  const prefix = topics.workerPresenceFilter(group).slice(0, -1);
  await Promise.all(
    nodeUrls.map(async (url) => {
      const spy = await mqtt.connectAsync(url, { clientId: `presence_${Math.random().toString(36).slice(2, 10)}`, reconnectPeriod: 0 });
      try {
        const pending = new Set(workerIds);
        const heard = new Promise<void>((resolve) =>
          spy.on('message', (topic, payload, packet) => {
            // Retained copies may be stale: only a heartbeat sent now proves the path works.
            if (packet.retain || payload.byteLength === 0 || !topic.startsWith(prefix)) return;
            pending.delete(topic.slice(prefix.length));
            if (pending.size === 0) resolve();
          }),
        );
        await spy.subscribeAsync(topics.workerPresenceFilter(group), { qos: 1 });
        await heard;
      } finally {
        await spy.endAsync(true);
      }
    }),
  );
}
