/** Forks the broker and the worker of the stage and talks to them over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MemorySample } from './child.js';
import type { StageConfig } from './config.js';

/** One forked child: `call(op)` asks it something, `stop()` ends it. */
export interface Child {
  call<T>(op: string): Promise<T>;
  memory(): Promise<MemorySample>;
  stop(): Promise<void>;
}

async function start(file: string, env: Record<string, string>): Promise<{ child: Child; ready: Record<string, unknown> }> {
  const process_: ChildProcess = fork(fileURLToPath(new URL(file, import.meta.url)), [], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let next = 0;
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    process_.once('exit', (code) => reject(new Error(`${file} exited with ${code} before it was ready`)));
    process_.on('message', (message: { ready?: boolean; id?: number; result?: unknown; error?: string }) => {
      if (message.ready) return resolve(message as Record<string, unknown>);
      const waiter = message.id === undefined ? undefined : pending.get(message.id);
      if (!waiter) return;
      pending.delete(message.id!);
      if (message.error) waiter.reject(new Error(message.error));
      else waiter.resolve(message.result);
    });
  });
  const exited = new Promise<void>((resolve) => process_.once('exit', () => resolve()));
  const child: Child = {
    call: <T>(op: string) =>
      new Promise<T>((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        process_.send({ id, op });
      }),
    memory: () => child.call<MemorySample>('memory'),
    async stop() {
      process_.kill('SIGTERM');
      await exited;
    },
  };
  return { child, ready };
}

export interface StageProcesses {
  broker: Child;
  worker: Child;
  mqttUrl: string;
  wsUrl: string;
}

export async function startStageProcesses(config: StageConfig): Promise<StageProcesses> {
  const env = { ABUSE_CONFIG: JSON.stringify(config) };
  const { child: broker, ready } = await start('./broker-process.ts', env);
  const mqttUrl = ready.mqttUrl as string;
  try {
    const { child: worker } = await start('./worker-process.ts', { ...env, ABUSE_MQTT_URL: mqttUrl });
    return { broker, worker, mqttUrl, wsUrl: ready.wsUrl as string };
  } catch (error) {
    await broker.stop();
    throw error;
  }
}
