/**
 * The abuse stage (issue 14). The embedded broker and the real worker run as `demo/stack.ts` sets
 * them up, each in its own process; a victim runs turns through the real transport while an
 * attacker with valid credentials of her own performs one broker-side attack at a time.
 *
 * Asserted, for every attack: nothing the victim sends or receives is lost (every turn exact, no
 * dropped connection), and the broker's and the worker's memory (heap + buffers after GC) stay
 * under the documented bound (docs/security.md, "Budgets"): the budgets the attack can reach plus
 * a fixed allowance. Reported, not asserted: the victim's p99 turn latency against the quiet run
 * (on a shared 2-core machine the attacker's own CPU competes with the victim's).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCredentialsHandler } from '../../src/server/credentials/handler.js';
import { createJwtIssuer } from '../../src/server/credentials/jwt.js';
import type { EmbeddedBrokerStats } from '../../src/broker/index.js';
import { ATTACKS, type AttackContext, type Credentials } from './lib/attacks.js';
import type { MemorySample } from './lib/child.js';
import { newStageConfig } from './lib/config.js';
import { startStageProcesses, type StageProcesses } from './lib/processes.js';
import { formatTable, writeResults, RESULTS_FILE, type AbuseRow } from './lib/report.js';
import { Victim, percentile, type VictimRun } from './lib/victim.js';

/** Victim turns per phase: enough for a p99 that is more than one sample's noise. */
const TURNS_PER_PHASE = 16;
/**
 * Growth any phase may show beyond its attack's budgets: the victim's and attacker's live
 * connections, in-flight turns, and what a GC leaves between two samples. The same for both.
 */
export const ALLOWANCE_MIB = { broker: 24, worker: 48 };
/** The victims: users of their own, taking turns round robin (each within the default rate limit). */
const VICTIMS = ['victim0', 'victim1', 'victim2', 'victim3', 'victim4', 'victim5'];

const config = newStageConfig();
let stage: StageProcesses;
let victim: Victim;
let victimClientId = '';
let quiet: VictimRun;
const rows: AbuseRow[] = [];
let limits: EmbeddedBrokerStats['limits'];

const handler = createCredentialsHandler({ authenticate: (request) => request.headers.get('x-abuse-user'), issuer: createJwtIssuer({ secret: config.jwtSecret }) });

/** The credentials endpoint as a `fetch` for one user (the victim's transport calls it on every connect). */
function credentialsFetch(userId: string, onIssued?: (credentials: Credentials) => void): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    request.headers.set('x-abuse-user', userId);
    const response = await handler(request);
    if (onIssued && response.ok) onIssued((await response.clone().json()) as Credentials);
    return response;
  };
}

async function issue(userId: string): Promise<Credentials> {
  const response = await credentialsFetch(userId)('http://abuse.invalid/api/mqtt-auth', { method: 'POST', body: '{}' });
  return (await response.json()) as Credentials;
}

async function memory(): Promise<{ broker: MemorySample; worker: MemorySample }> {
  return { broker: await stage.broker.memory(), worker: await stage.worker.memory() };
}

const stats = () => stage.broker.call<EmbeddedBrokerStats>('stats');

beforeAll(async () => {
  stage = await startStageProcesses(config);
  victim = new Victim(stage.wsUrl, VICTIMS, (userId) => credentialsFetch(userId, userId === VICTIMS[0] ? (credentials) => (victimClientId = credentials.clientId) : undefined));
  // Warm-up: connections, code paths and the worker's first turns are not part of any phase.
  const warm = await victim.run('warm', 5);
  expect(warm.problems).toEqual([]);
  limits = (await stats()).limits;
});

afterAll(async () => {
  victim?.close();
  await stage?.worker.stop();
  await stage?.broker.stop();
  if (rows.length > 0) {
    writeResults(rows, limits);
    console.log(`\nAbuse stage (${RESULTS_FILE})\n${formatTable(rows)}\n`);
  }
});

describe('one attacker never slows down or costs the victim anything it can lose', () => {
  test('quiet: the victim alone', async () => {
    quiet = await victim.run('quiet', TURNS_PER_PHASE);
    expect(quiet.problems).toEqual([]);
    expect(quiet.disconnects).toBe(0);
  });

  test.each(ATTACKS.map((attack) => [attack.finding, attack.name, attack] as const))('%s %s', async (_finding, _name, attack) => {
    const context: AttackContext = { mqttUrl: stage.mqttUrl, wsUrl: stage.wsUrl, issue, victimClientId: () => victimClientId, workerClientId: config.serviceAccounts[0].clientId };
    const connectionsBefore = (await stats()).connections;
    const statsBefore = await stats();
    const before = await memory();

    const stop = await attack.start(context);
    let run: VictimRun;
    let during: Awaited<ReturnType<typeof memory>>;
    let attacker: Record<string, number>;
    try {
      run = await victim.run(attack.finding, TURNS_PER_PHASE);
      during = await memory();
    } finally {
      // A failing phase must not leave its attack running into the next one.
      attacker = await stop();
    }
    // The attacker's connections are gone (closed by her or dropped by the broker) before "after".
    await expect.poll(async () => (await stats()).connections, { timeout: 30_000, interval: 200 }).toBeLessThanOrEqual(connectionsBefore);
    const after = await memory();
    const statsAfter = await stats();

    const brokerBoundMiB = attack.budgetMiB(limits) + ALLOWANCE_MIB.broker;
    const workerBoundMiB = ALLOWANCE_MIB.worker;
    rows.push({
      attack: attack.name,
      finding: attack.finding,
      victimTurns: run.latenciesMs.length,
      lostOrWrong: run.problems.length,
      victimDisconnects: run.disconnects,
      p99QuietMs: percentile(quiet.latenciesMs, 99),
      p99Ms: percentile(run.latenciesMs, 99),
      broker: { before: before.broker, during: during.broker, after: after.broker },
      worker: { before: before.worker, during: during.worker, after: after.worker },
      brokerBoundMiB,
      workerBoundMiB,
      refused: {
        ...Object.fromEntries(Object.entries(statsAfter.refused).map(([key, value]) => [key, value - statsBefore.refused[key as keyof typeof statsBefore.refused]])),
        retainedEvicted: statsAfter.retained.evicted - statsBefore.retained.evicted,
      },
      attacker,
    });

    // Nothing the victim sends or receives is lost, and its connection is never taken.
    expect(run.problems).toEqual([]);
    expect(run.disconnects).toBe(0);
    // Memory stays under the documented bound while the attack runs and after it.
    for (const [when, sample] of [['during', during], ['after', after]] as const) {
      expect(sample.broker.heapMiB - before.broker.heapMiB, `broker growth ${when} ${attack.finding}, MiB`).toBeLessThanOrEqual(brokerBoundMiB);
      expect(sample.worker.heapMiB - before.worker.heapMiB, `worker growth ${when} ${attack.finding}, MiB`).toBeLessThanOrEqual(workerBoundMiB);
    }
    // The attacker got nothing the rules forbid.
    expect(attacker.accepted ?? 0).toBe(0);
    expect(statsAfter.retained.messages).toBeLessThanOrEqual(2 * limits.maxRetainedPerUser);
  });
});
