/**
 * The victim: a signed-in user running turns back to back through the real transport (MQTT
 * trigger, credentials from the real endpoint), each answer known in advance so a lost, doubled
 * or reordered token shows. Reports every turn's latency (send to last chunk) and its problems.
 */
import { CloudSignalChatTransport } from '../../../src/transport/index.js';
import { checkTurn, runChatTurn } from '../../chaos/lib/chat-client.js';
import { expectedText, scriptBody } from '../../chaos/lib/workers.js';

export interface VictimRun {
  latenciesMs: number[];
  /** One entry per turn that was not exact: what differed. */
  problems: string[];
  /** Network errors the victim's streams surfaced (a takeover or a stalled broker shows here). */
  disconnects: number;
}

/** Tokens and pace of one victim turn: short enough for many samples, long enough to stream. */
export const VICTIM_TURN = { tokens: 30, delayMs: 5 };

export class Victim {
  readonly transport: CloudSignalChatTransport;
  private turn = 0;

  constructor(wsUrl: string, credentialsFetch: typeof fetch) {
    this.transport = new CloudSignalChatTransport({ wssUrl: wsUrl, authEndpoint: 'http://abuse.invalid/api/mqtt-auth', fetch: credentialsFetch, trigger: 'mqtt', streamTimeout: 30_000 });
  }

  async run(label: string, turns: number): Promise<VictimRun> {
    const result: VictimRun = { latenciesMs: [], problems: [], disconnects: 0 };
    for (let i = 0; i < turns; i++) {
      const key = `${label}-${this.turn++}`;
      const script = { key, ...VICTIM_TURN };
      const outcome = await runChatTurn(this.transport, { chatId: `victim-${label}`, prompt: key, body: scriptBody(script), resumeDeadlineMs: 20_000 });
      result.latenciesMs.push(outcome.endedAt - outcome.startedAt);
      result.disconnects += outcome.disconnects;
      const problems = checkTurn(outcome, expectedText(script));
      if (problems.length > 0) result.problems.push(`${key}: ${problems.join('; ')}`);
    }
    return result;
  }

  close(): void {
    this.transport.close();
  }
}

/** The p-th percentile (nearest rank) of the samples. */
export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
