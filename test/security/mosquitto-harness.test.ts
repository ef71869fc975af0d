/**
 * The Mosquitto test harness other suites build on: free ports, readiness, crash and restart on
 * the same ports, and a stop that leaves no process and no temp dir behind.
 */
import { expect, test } from 'vitest';
import { existsSync } from 'node:fs';
import mqtt from 'mqtt';
import { startMosquitto } from '../helpers/mosquitto.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('anonymous mode: ready on start, kill() is a crash, restart() comes back on the same URLs, stop() cleans up', async () => {
  const broker = await startMosquitto();
  const firstPid = broker.pid;
  expect(alive(firstPid)).toBe(true);
  for (const url of [broker.mqttUrl, broker.wsUrl]) {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
    await client.publishAsync('bench/x', 'y', { qos: 1 });
    await client.endAsync();
  }

  const client = await mqtt.connectAsync(broker.mqttUrl, { reconnectPeriod: 0 });
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  await broker.kill();
  await closed;
  expect(alive(firstPid)).toBe(false);
  await expect(mqtt.connectAsync(broker.mqttUrl, { reconnectPeriod: 0, connectTimeout: 500 })).rejects.toThrow();

  await broker.restart();
  expect(broker.pid).not.toBe(firstPid);
  const again = await mqtt.connectAsync(broker.mqttUrl, { reconnectPeriod: 0 });
  await again.endAsync(true);
  await client.endAsync(true);

  const lastPid = broker.pid;
  await broker.stop();
  await broker.stop(); // idempotent
  expect(alive(lastPid)).toBe(false);
  expect(existsSync(broker.dir)).toBe(false);
  await expect(broker.restart()).rejects.toThrow(/after stop/);
});

test('two brokers side by side get distinct free ports', async () => {
  const [a, b] = await Promise.all([startMosquitto({ websockets: false }), startMosquitto({ websockets: false })]);
  try {
    expect(a.port).not.toBe(b.port);
    expect(a.wsUrl).toBe('');
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});
