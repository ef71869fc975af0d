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

test('a broker orphaned by a test process killed outright is reaped at the next start', async () => {
  const { spawn } = await import('node:child_process');
  // A child test process starts a broker and is then SIGKILLed: it cannot stop its broker.
  const script = `import { startMosquitto } from ${JSON.stringify(new URL('../helpers/mosquitto.ts', import.meta.url).pathname)}; const b = await startMosquitto({ websockets: false }); console.log(JSON.stringify({ pid: b.pid, dir: b.dir })); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) => child.stdout!.once('data', (data: Buffer) => resolve(data.toString())));
  const orphan = JSON.parse(line) as { pid: number; dir: string };
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  expect(alive(orphan.pid)).toBe(true);

  const next = await startMosquitto({ websockets: false });
  try {
    await expect.poll(() => alive(orphan.pid), { timeout: 3_000 }).toBe(false);
    expect(existsSync(orphan.dir)).toBe(false);
    expect(alive(next.pid)).toBe(true);
  } finally {
    await next.stop();
  }
});
