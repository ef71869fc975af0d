/**
 * Two Mosquitto brokers joined by a bridge (Debian mosquitto 2.0, configs in temp dirs): broker
 * `b` runs plain, broker `a` bridges the given topic trees both ways to `b`. Ready once a message
 * published on each side of every tree has crossed to the other.
 */
import mqtt from 'mqtt';
import { startMosquitto, type MosquittoHandle } from './mosquitto.js';
import type { TestCluster, TestClusterNode } from './test-cluster.js';

export interface BridgedMosquittos extends TestCluster {
  readonly handles: readonly [MosquittoHandle, MosquittoHandle];
}

/**
 * `trees`: topic roots the bridge carries both ways, e.g. `['chat']`: the kit's whole tree, worker
 * coordination (`chat/~/sys`: presence and hand-over inboxes) included.
 */
export async function startBridgedMosquittos(trees: readonly string[]): Promise<BridgedMosquittos> {
  const b = await startMosquitto({ auth: 'anonymous' });
  let a: MosquittoHandle;
  try {
    a = await startMosquitto({
      auth: 'anonymous',
      extra: [
        'connection bridge_a_b',
        `address 127.0.0.1:${b.port}`,
        ...trees.map((tree) => `topic ${tree}/# both 1`),
        'bridge_protocol_version mqttv311',
        // Mosquitto-to-Mosquitto: each side marks the bridge so messages are not echoed back.
        'try_private true',
        'cleansession true',
        'restart_timeout 1 2',
      ],
    });
  } catch (error) {
    await b.stop();
    throw error;
  }
  try {
    for (const tree of trees) {
      await crosses(a.mqttUrl, b.mqttUrl, `${tree}/bridge-check/ab`);
      await crosses(b.mqttUrl, a.mqttUrl, `${tree}/bridge-check/ba`);
    }
  } catch (error) {
    await a.stop();
    await b.stop();
    throw error;
  }
  const nodes = [a, b].map((handle, i): TestClusterNode => {
    let alive = true;
    return {
      name: i === 0 ? 'mosquitto-a' : 'mosquitto-b',
      mqttUrl: handle.mqttUrl,
      wsUrl: handle.wsUrl,
      get pid() {
        return alive ? handle.pid : -1;
      },
      get alive() {
        return alive;
      },
      async kill() {
        await handle.kill();
        alive = false;
      },
      async start() {
        await handle.restart();
        alive = true;
      },
    };
  });
  return {
    kind: 'mosquitto-bridge',
    handles: [a, b],
    nodes,
    async stop() {
      await a.stop();
      await b.stop();
    },
  };
}

/** Resolves once a message published on `from` reaches a subscriber on `to` (retried until the bridge is up). */
async function crosses(from: string, to: string, topic: string): Promise<void> {
  const sub = await mqtt.connectAsync(to, { reconnectPeriod: 0 });
  const pub = await mqtt.connectAsync(from, { reconnectPeriod: 0 });
  try {
    let arrived = false;
    sub.on('message', (t) => (arrived ||= t === topic));
    await sub.subscribeAsync(topic, { qos: 1 });
    // The bridge connects on its own schedule: publish until one copy crosses.
    const deadline = Date.now() + 30_000;
    while (!arrived) {
      if (Date.now() > deadline) throw new Error(`the bridge did not carry ${topic} within 30 s`);
      await pub.publishAsync(topic, 'ping', { qos: 1 });
      for (let i = 0; i < 10 && !arrived; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await sub.endAsync(true);
    await pub.endAsync(true);
  }
}
