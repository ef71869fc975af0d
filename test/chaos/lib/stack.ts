/**
 * The stack most scenarios share: a broker, the fault proxy in front of its WebSocket listener,
 * and workers, started before the scenario's tests and stopped after them.
 */
import { afterAll, beforeAll } from 'vitest';
import { createMemoryChatStore } from '../../../src/server/store/memory-chat-store.js';
import { startChaosBroker, type BrokerKind, type ChaosBroker } from './brokers.js';
import { FaultProxy } from './fault-proxy.js';
import { startChaosWorker, type ChaosWorker } from './workers.js';

export interface ChaosStack {
  broker: ChaosBroker;
  proxy: FaultProxy;
  workers: ChaosWorker[];
}

/** Registers the hooks; the returned object is filled in by the time tests run. */
export function useChaosStack(kind: BrokerKind, scenario: string, workerCount = 2): ChaosStack {
  const stack = { workers: [] as ChaosWorker[] } as ChaosStack;
  beforeAll(async () => {
    stack.broker = await startChaosBroker(kind);
    stack.proxy = await FaultProxy.start(stack.broker.wsUrl);
    // Workers of one app share one chat store, as in production: a query about a turn may reach
    // any of them, and each must know what the others run.
    const store = createMemoryChatStore();
    for (let i = 0; i < workerCount; i++) stack.workers.push(await startChaosWorker(stack.broker.mqttUrl, `${scenario}_${kind}_w${i}`, { store }));
  });
  afterAll(async () => {
    for (const { worker } of stack.workers) await worker.close();
    await stack.proxy?.close();
    await stack.broker?.close();
  });
  return stack;
}
