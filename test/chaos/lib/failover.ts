/**
 * Failover scenarios, the same four on every cluster type: browsers and workers get every node's
 * URL (`urls`), and nodes die under them.
 *
 * 1. the browsers' node is killed mid-turn;
 * 2. the workers' node is killed mid-turn;
 * 3. one node is killed every few seconds (and started again) during 200 turns;
 * 4. the whole cluster is killed mid-turn and started again.
 *
 * Every turn must render its exact text (no token lost, doubled or reordered: each token of a
 * turn is a unique word) and run on one worker only.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CloudSignalChatTransport } from '../../../src/transport/index.js';
import type { TestCluster } from '../../helpers/test-cluster.js';
import { waitForPresence } from '../../helpers/presence.js';
import { sleep } from './brokers.js';
import { KillSchedule } from './kill-schedule.js';
import { checkTurn, runChatTurn } from './chat-client.js';
import { countChunks, failures, runLoad, type CheckedTurn } from './load.js';
import { recordRow } from './results.js';
import { expectedText, scriptBody, startChaosWorker, type ChaosScript, type ChaosWorker } from './workers.js';

/** A RabbitMQ node takes 10-30 s to start on a loaded 2-core box; scenario 3 restarts several. */
const TEST_TIMEOUT_MS = 240_000;

export interface FailoverTiming {
  /** How long a browser may stay without a node before its turn fails (outage + node start). */
  outageMs: number;
  /** Scenario 3: pause between a node coming back and the next kill on the timer (`KillSchedule`). */
  killEveryMs: number;
  /**
   * Scenarios (1-4) this cluster type is known to fail today, each with the defect behind it. They
   * run only with FAILOVER_ALL=1, and the README's goals table reports them as not met.
   */
  knownFailing?: Partial<Record<1 | 2 | 3 | 4, string>>;
  /**
   * Scenarios that pass but take too long for CI's time budget, each with its measured time. They
   * run only with FAILOVER_ALL=1; the README reports them from those runs.
   */
  outsideCi?: Partial<Record<1 | 2 | 3 | 4, string>>;
  /** Per scenario, ms. Default 240 000; slower clusters (three RabbitMQ nodes restarting at once) need more. */
  testTimeoutMs?: number;
  /**
   * Scenario 3: ms between tokens (default 20) and the node kills the 200 turns must span (default
   * 3; `KillSchedule` holds turns back until they are made).
   */
  killScenario?: { tokenDelayMs: number; minKills: number };
}

/** FAILOVER_ALL=1 also runs the scenarios a cluster type is known to fail (`knownFailing`) or too slow for CI (`outsideCi`). */
const RUN_ALL = !!process.env.FAILOVER_ALL;

/** FAILOVER_DEBUG=1: progress on stderr (a stuck scenario shows where it stopped). */
const debug = (message: string) => {
  if (process.env.FAILOVER_DEBUG) console.error(`[failover ${new Date().toISOString().slice(11, 23)}] ${message}`);
};

/**
 * By default nobody subscribes to the transports' connection stores, as in an app using `useChat`
 * alone: failover must not depend on anyone showing the connection state (a send, resume or query
 * starts the connection, and its ups and downs reach the turns). FAILOVER_OBSERVE_CONNECTION=1
 * gives every transport a subscriber, as `useCloudSignalChat`, `useConnectionState` or ChatWindow's
 * reconnect banner would. Browser 0 always has one: the FAILOVER_DEBUG progress line.
 */
const OBSERVE_CONNECTION = process.env.FAILOVER_OBSERVE_CONNECTION === '1';

/** A browser's transport: its client id is the kit's (a fresh one on every move to another node). */
function transportFor(tag: string, i: number, urls: string[], timing: FailoverTiming): CloudSignalChatTransport {
  const transport = new CloudSignalChatTransport({ wssUrl: urls[0], urls, userId: `fo_${tag}_u${i}`, trigger: 'mqtt', streamTimeout: timing.outageMs, connectTimeout: timing.outageMs });
  if (OBSERVE_CONNECTION) transport.connection.subscribe(() => undefined);
  return transport;
}

/** `order` starting at node `first`, wrapping: the URL a client tries first is its "home" node. */
function from<T>(items: readonly T[], first: number): T[] {
  return items.map((_, i) => items[(first + i) % items.length]);
}

export function failoverScenarios(label: string, startCluster: () => Promise<TestCluster>, timing: FailoverTiming): void {
  const known = (n: 1 | 2 | 3 | 4) => {
    const failing = timing.knownFailing?.[n];
    const slow = timing.outsideCi?.[n];
    if (RUN_ALL || (!failing && !slow)) return false;
    console.warn(`[failover ${label}] scenario ${n} not run by default (FAILOVER_ALL=1 runs it), ${failing ? `known to fail: ${failing}` : `outside CI's time budget: ${slow}`}`);
    return true;
  };
  describe(`failover on ${label}`, () => {
    let cluster: TestCluster;
    beforeAll(async () => {
      cluster = await startCluster();
    }, 240_000);
    afterAll(async () => {
      await cluster?.stop();
    });

    const wsUrls = (first: number) => from(cluster.nodes.map((n) => n.wsUrl), first);
    const mqttUrls = (first: number) => from(cluster.nodes.map((n) => n.mqttUrl), first);
    const last = () => cluster.nodes.length - 1;

    /** Workers whose home is node `home`, and browsers whose home is node `browserHome`. */
    async function stack(tag: string, home: number, browserHome: number, clients: number) {
      const workers: ChaosWorker[] = [];
      for (let i = 0; i < 2; i++) {
        const urls = mqttUrls(home);
        workers.push(await startChaosWorker(urls[0], `fo_${tag}_w${i}`, { urls, presenceIntervalMs: 1_000 }));
      }
      debug(`${tag}: workers started`);
      await waitForPresence(cluster.nodes.filter((n) => n.alive).map((n) => n.mqttUrl), workers.map((w) => w.worker.workerId));
      debug(`${tag}: workers see each other`);
      const transports = Array.from({ length: clients }, (_, i) => transportFor(tag, i, wsUrls(browserHome), timing));
      transports[0]?.connection.subscribe(() => {
        const snapshot = transports[0].connection.getSnapshot();
        debug(`${tag} browser 0: ${snapshot.status} ${snapshot.lastError ? JSON.stringify(snapshot.lastError) : ''}`);
      });
      // FAILOVER_DEBUG: the workers' counters every 15 s, so a stuck scenario shows which side waits.
      const watch = process.env.FAILOVER_DEBUG ? setInterval(() => workers.forEach(({ worker }, i) => debug(`${tag} worker ${i}: ${JSON.stringify(worker.stats)}`)), 15_000) : undefined;
      return {
        workers,
        transports,
        async close() {
          clearInterval(watch);
          for (const t of transports) t.close();
          for (const { worker } of workers) await worker.close();
        },
      };
    }

    /** One turn per transport, `during` runs while they stream. */
    async function round(tag: string, transports: CloudSignalChatTransport[], during: () => Promise<void>): Promise<CheckedTurn[]> {
      const scripts: ChaosScript[] = transports.map((_, i) => ({ key: `${tag}-c${i}`, tokens: 60, delayMs: 20 }));
      const running = transports.map((t, i) => runChatTurn(t, { chatId: `fo_${tag}_chat${i}`, prompt: tag, body: scriptBody(scripts[i]), resumeDeadlineMs: timing.outageMs }).then((o) => (debug(`${tag} turn ${i} ended: ${o.statuses.join(' ')}`), o)));
      await during();
      debug(`${tag}: fault injected`);
      const outcomes = await Promise.all(running);
      return outcomes.map((outcome, i) => ({ client: i, turn: 0, script: scripts[i], outcome, problems: checkTurn(outcome, expectedText(scripts[i])) }));
    }

    function verdict(scenario: string, turns: CheckedTurn[], workers: ChaosWorker[], started: number, notes: Record<string, unknown>) {
      const served = workers.flatMap((w) => w.servedKeys);
      const doubled = served.length - new Set(served).size;
      recordRow({
        scenario,
        broker: label,
        turns: turns.length,
        disconnects: turns.reduce((n, t) => n + t.outcome.disconnects, 0),
        chunks: countChunks(turns),
        replays: turns.reduce((n, t) => n + t.outcome.replays, 0),
        mismatches: turns.filter((t) => t.problems.length > 0).length,
        notes: { ...notes, ranTwice: doubled, connectionObserved: OBSERVE_CONNECTION },
        durationMs: Date.now() - started,
      });
      expect(failures(turns, 5, served)).toBe('');
      expect(doubled).toBe(0);
    }

    test.skipIf(known(1))("the browsers' node dies mid-turn: they move to another node and every turn completes exactly", async () => {
      const started = Date.now();
      const s = await stack('b', last(), 0, 8);
      try {
        const victim = cluster.nodes[0];
        const turns = await round('fo-browser', s.transports, async () => {
          await sleep(400);
          await victim.kill();
        });
        await victim.start();
        verdict('F1 browser node killed', turns, s.workers, started, { victim: victim.name });
      } finally {
        await s.close();
      }
    }, timing.testTimeoutMs ?? TEST_TIMEOUT_MS);

    test.skipIf(known(2))("the workers' node dies mid-turn: they move to another node and every turn completes exactly", async () => {
      const started = Date.now();
      const s = await stack('w', 0, last(), 8);
      try {
        const victim = cluster.nodes[0];
        const turns = await round('fo-worker', s.transports, async () => {
          await sleep(400);
          await victim.kill();
        });
        await victim.start();
        verdict('F2 worker node killed', turns, s.workers, started, { victim: victim.name });
      } finally {
        await s.close();
      }
    }, timing.testTimeoutMs ?? TEST_TIMEOUT_MS);

    test.skipIf(known(3))('one node killed every few seconds during 200 turns: no token lost or doubled', async () => {
      const started = Date.now();
      // Browsers and workers spread over the nodes: every kill hits some of each.
      const s = await stack('k', 1 % cluster.nodes.length, 0, 0);
      const clients = 10;
      const transports = Array.from({ length: clients }, (_, i) => transportFor('k', i, wsUrls(i % cluster.nodes.length), timing));
      const turnsPerClient = 20;
      const minKills = timing.killScenario?.minKills ?? 3;
      const schedule = new KillSchedule({ nodes: cluster.nodes, totalTurns: clients * turnsPerClient, minKills, killEveryMs: timing.killEveryMs });
      try {
        const result = await runLoad({
          label: 'fo_k',
          wsUrl: '',
          clients,
          turnsPerClient,
          reuse: transports,
          beforeTurn: schedule.beforeTurn,
          script: (client, turn) => ({ key: `fo-k-c${client.index}-t${turn}`, tokens: 30, delayMs: timing.killScenario?.tokenDelayMs ?? 20 }),
          chatPerTurn: true,
        });
        await schedule.stop();
        verdict('F3 node killed every few s', result.turns, s.workers, started, { kills: schedule.kills.length, replayRequests: result.replayRequests });
        expect(result.turnCount).toBe(clients * turnsPerClient);
        expect(schedule.kills.length).toBeGreaterThanOrEqual(minKills);
      } finally {
        await schedule.stop();
        for (const t of transports) t.close();
        await s.close();
      }
    }, timing.testTimeoutMs ?? TEST_TIMEOUT_MS);

    test.skipIf(known(4))('the whole cluster dies mid-turn and comes back: every turn completes exactly', async () => {
      const started = Date.now();
      const s = await stack('r', 0, last(), 8);
      try {
        const turns = await round('fo-restart', s.transports, async () => {
          await sleep(400);
          await Promise.all(cluster.nodes.map((n) => n.kill()));
          await Promise.all(cluster.nodes.map((n) => n.start()));
        });
        verdict('F4 whole cluster restarted', turns, s.workers, started, {});
      } finally {
        await s.close();
      }
    }, timing.testTimeoutMs ?? TEST_TIMEOUT_MS);
  });
}
