/**
 * Runs many chat clients in parallel, each a `CloudSignalChatTransport` doing turns one after the
 * other, and checks every turn against its known text. Bounded twice: by turn count and by a
 * wall-clock budget after which no new turn starts.
 */
import type { UIMessageChunk } from 'ai';
import { CloudSignalChatTransport, type CloudSignalChatTransportOptions } from '../../../src/transport/index.js';
import { checkTurn, runChatTurn, type TurnOutcome, type TurnOptions } from './chat-client.js';
import { expectedText, scriptBody, type ChaosScript } from './workers.js';

export interface ClientContext {
  index: number;
  clientId: string;
  userId: string;
  chatId: string;
  transport: CloudSignalChatTransport;
}

export interface TurnPlan {
  onChunk?: (chunk: UIMessageChunk, delivered: number) => void;
  readerStall?: TurnOptions['readerStall'];
}

export interface LoadOptions {
  /** Unique per run: prefixes client, user and chat ids and the turn texts. */
  label: string;
  wsUrl: string;
  clients: number;
  turnsPerClient: number;
  /**
   * No turn starts after this many ms. Only for runs that measure over a time window (the soak):
   * a run that checks every planned turn must not pass one, or a busy machine would cut turns
   * and fail it for being slow rather than wrong.
   */
  budgetMs?: number;
  script(client: ClientContext, turn: number): ChaosScript;
  /**
   * Awaited before each turn starts, with the turn's index over all clients (0, 1, 2... in the order
   * they come to start): a fault schedule can hold turns back until its fault has happened, so the run cannot end first.
   */
  beforeTurn?(turnIndex: number): Promise<void>;
  /** Fault hooks for one turn. */
  plan?(client: ClientContext, turn: number, script: ChaosScript): TurnPlan;
  /** Pause between a client's turns, ms. */
  thinkMs?: () => number;
  /** A fresh chat id per turn instead of one chat per client. */
  chatPerTurn?: boolean;
  transport?: Partial<CloudSignalChatTransportOptions>;
  /** Keep the transports open after the run (the soak measures them); the caller closes them. */
  keepOpen?: boolean;
  /** Transports of an earlier run (kept open) to use again, by client index. */
  reuse?: CloudSignalChatTransport[];
  /** Keep only failing turns (and counts of the rest): a soak must not measure its own records. */
  failuresOnly?: boolean;
}

export interface CheckedTurn {
  client: number;
  turn: number;
  script: ChaosScript;
  outcome: TurnOutcome;
  problems: string[];
  /** Text deltas rendered, once the outcome was slimmed. */
  deltas?: number;
}

export interface LoadResult {
  /** Every checked turn, or only the failing ones with `failuresOnly`. */
  turns: CheckedTurn[];
  turnCount: number;
  deltaCount: number;
  transports: CloudSignalChatTransport[];
  /** Replay requests the transports sent (gap repair and catch-up). */
  replayRequests: number;
  chunksRecovered: number;
  duplicatesDropped: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const started = Date.now();
  const contexts: ClientContext[] = [];
  for (let index = 0; index < options.clients; index++) {
    const clientId = `${options.label}_c${index}`;
    const transport = options.reuse?.[index] ?? new CloudSignalChatTransport({
      wssUrl: options.wsUrl,
      userId: `${options.label}_u${index}`,
      trigger: 'mqtt',
      streamTimeout: 15_000,
      ...options.transport,
      connection: { clientId, ...options.transport?.connection },
    });
    contexts.push({ index, clientId, userId: `${options.label}_u${index}`, chatId: `${options.label}_chat${index}`, transport });
  }
  const turns: CheckedTurn[] = [];
  let turnCount = 0;
  let turnsStarted = 0;
  let deltaCount = 0;
  await Promise.all(
    contexts.map(async (context) => {
      for (let turn = 0; turn < options.turnsPerClient && Date.now() - started < (options.budgetMs ?? Infinity); turn++) {
        const turnIndex = turnsStarted++;
        if (options.beforeTurn) await options.beforeTurn(turnIndex);
        const chatId = options.chatPerTurn ? `${context.chatId}_t${turn}` : context.chatId;
        const script = options.script(context, turn);
        const plan = options.plan?.(context, turn, script) ?? {};
        let delivered = 0;
        const outcome = await runChatTurn(context.transport, {
          chatId,
          prompt: `turn ${turn}`,
          body: scriptBody(script),
          resumeDeadlineMs: 30_000,
          readerStall: plan.readerStall,
          onChunk: (chunk) => plan.onChunk?.(chunk, ++delivered),
        });
        const checked = slim({ client: context.index, turn, script, outcome, problems: checkTurn(outcome, expectedText(script)) });
        turnCount++;
        deltaCount += checked.deltas ?? 0;
        if (!options.failuresOnly || checked.problems.length > 0) turns.push(checked);
        const think = options.thinkMs?.() ?? 0;
        if (think > 0) await new Promise((resolve) => setTimeout(resolve, think));
      }
    }),
  );
  let replayRequests = 0;
  let chunksRecovered = 0;
  let duplicatesDropped = 0;
  for (const { transport } of contexts) {
    const stats = transport.statsNow();
    replayRequests += stats.replaysRequested;
    chunksRecovered += stats.chunksRecovered;
    duplicatesDropped += stats.dropped.duplicate;
    if (!options.keepOpen) transport.close();
  }
  return { turns, turnCount, deltaCount, transports: contexts.map((c) => c.transport), replayRequests, chunksRecovered, duplicatesDropped };
}

/**
 * Keeps what the report needs and drops the rendered chunks and text once checked: thousands of
 * kept answers would show up as a "leak" in the soak's heap measurement.
 */
export function slim(turn: CheckedTurn): CheckedTurn {
  const deltas = turn.outcome.rendered.filter((chunk) => chunk.type === 'text-delta').length;
  return { ...turn, deltas, outcome: { ...turn.outcome, rendered: [], text: '' } };
}

/** Text deltas rendered across turns. */
export function countChunks(turns: CheckedTurn[]): number {
  let n = 0;
  for (const turn of turns) n += turn.deltas ?? turn.outcome.rendered.filter((chunk) => chunk.type === 'text-delta').length;
  return n;
}

/** A short list of failing turns for an assertion message. */
export function failures(turns: CheckedTurn[], limit = 5, servedKeys?: string[]): string {
  const served = servedKeys ? new Set(servedKeys) : null;
  return turns
    .filter((t) => t.problems.length > 0)
    .slice(0, limit)
    .map((t) => `client ${t.client} turn ${t.turn} (${t.script.key}${served ? (served.has(t.script.key) ? ', a worker ran it' : ', no worker ever ran it') : ''}): ${t.problems.join('; ')}`)
    .join('\n');
}

/** A seeded random source (mulberry32): a failing run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
