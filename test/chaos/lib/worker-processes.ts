/** Spawns and crashes chat worker processes (see worker-process.ts). */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';

const ENTRY = resolve(import.meta.dirname, 'worker-process.ts');

export interface WorkerProcess {
  workerId: string;
  mode: 'shared' | 'rendezvous';
  /** Script keys of the turns this process started. */
  served: string[];
  readonly alive: boolean;
  /** SIGKILL: a crash. Resolves when the process is gone. */
  crash(): Promise<void>;
  /** SIGTERM: drain and leave. */
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

export function spawnWorker(url: string, workerId: string, shared: 'auto' | 'on' | 'off' = 'auto'): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, url, workerId, shared], { stdio: ['ignore', 'pipe', 'pipe'], cwd: resolve(import.meta.dirname, '../../..') });
  children.add(child);
  let stderr = '';
  child.stderr?.on('data', (data: Buffer) => (stderr += data.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => {
    children.delete(child);
    done();
  }));
  const served: string[] = [];
  return new Promise((resolveReady, reject) => {
    // No start-up clock of its own: a child compiling TypeScript (tsx) on a busy machine takes
    // tens of seconds; a crash rejects at once below, and the caller's hook timeout bounds a hang.
    void exited.then(() => reject(new Error(`worker ${workerId} exited during start-up: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let message: { ready?: boolean; mode?: 'shared' | 'rendezvous'; served?: string };
      try {
        message = JSON.parse(line);
      } catch {
        return;
      }
      if (message.served) served.push(message.served);
      if (message.ready) {
        resolveReady({
          workerId,
          mode: message.mode!,
          served,
          get alive() {
            return child.exitCode === null && child.signalCode === null;
          },
          async crash() {
            child.kill('SIGKILL');
            await exited;
          },
          async stop() {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            const timeout = setTimeout(() => child.kill('SIGKILL'), 15_000);
            await exited;
            clearTimeout(timeout);
          },
        });
      }
    });
  });
}
