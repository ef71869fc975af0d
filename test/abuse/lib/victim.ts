/**
 * The victim: signed-in users running turns back to back through the real transport (MQTT
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

/**
 * "Everyone else": a few users, each with its own transport and connection (as in their own
 * browsers), taking turns round robin, so the worker's default rate limit (30 turns a minute
 * per user) holds for them as for the attacker.
 */
export class Victim {
  readonly transports: CloudSignalChatTransport[];
  private turn = 0;

  constructor(wsUrl: string, users: readonly string[], credentialsFetch: (userId: string) => typeof fetch) {
    this.transports = users.map((userId) => new CloudSignalChatTransport({ wssUrl: wsUrl, authEndpoint: 'http://abuse.invalid/api/mqtt-auth', fetch: credentialsFetch(userId), trigger: 'mqtt', streamTimeout: 30_000, connection: { share: false } }));
  }

  async run(label: string, turns: number): Promise<VictimRun> {
    const result: VictimRun = { latenciesMs: [], problems: [], disconnects: 0 };
    for (let i = 0; i < turns; i++) {
      const index = this.turn++;
      const key = `${label}-${index}`;
      const script = { key, ...VICTIM_TURN };
      const transport = this.transports[index % this.transports.length];
      const outcome = await runChatTurn(transport, { chatId: `victim-${label}`, prompt: key, body: scriptBody(script), resumeDeadlineMs: 20_000 });
      result.latenciesMs.push(outcome.endedAt - outcome.startedAt);
      result.disconnects += outcome.disconnects;
      const problems = checkTurn(outcome, expectedText(script));
      if (problems.length > 0) result.problems.push(`${key}: ${problems.join('; ')}`);
    }
    return result;
  }

  close(): void {
    for (const transport of this.transports) transport.close();
  }
}

/** The p-th percentile (nearest rank) of the samples. */
export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
