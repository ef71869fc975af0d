/**
 * Scenario 10: the retained state is lost mid-turn. The broker restarts without persistence
 * while its workers stay alive and keep their turns: the retained `status` and `complete` of
 * every turn in flight are gone. Two kinds of pages must still get each answer exactly:
 *
 * - the pages that were streaming (their transport remembers the interrupted turn);
 * - pages opened after the restart on the same chat (a reload: a fresh transport that knows
 *   nothing), which must learn of the turn by asking, not from retained state.
 */
import { describe, expect, test } from 'vitest';
import { CloudSignalChatTransport } from '../../src/transport/index.js';
import { BROKER_KINDS } from './lib/brokers.js';
import { checkTurn, runChatTurn, type TurnOutcome } from './lib/chat-client.js';
import { recordRow } from './lib/results.js';
import { useChaosStack } from './lib/stack.js';
import { expectedText, scriptBody, type ChaosScript } from './lib/workers.js';

const CLIENTS = 10;
const DOWN_MS = 1_000;

describe.each(BROKER_KINDS)('retained state lost mid-turn on %s', (kind) => {
  const stack = useChaosStack(kind, 's10');

  test('streaming pages and pages opened after the restart both get every answer exactly', async () => {
    const started = Date.now();
    const label = `s10${kind.slice(0, 3)}`;
    const problems: string[] = [];
    const outcomes: TurnOutcome[] = [];
    const transports: CloudSignalChatTransport[] = [];
    const open = (name: string, userId: string) => {
      const transport = new CloudSignalChatTransport({ wssUrl: stack.broker.wsUrl, userId, trigger: 'mqtt', streamTimeout: 30_000, connection: { clientId: name } });
      transports.push(transport);
      return transport;
    };
    // Long enough answers (~8 s) that the restart lands in every one of them.
    const scripts: ChaosScript[] = Array.from({ length: CLIENTS }, (_, i) => ({ key: `${kind}-s10-c${i}`, tokens: 80, delayMs: 100 }));
    let midTurn = 0;
    /** Pages whose turn was still streaming when the broker was killed. */
    const streamingAtKill = new Set<number>();
    const finished = new Set<number>();
    let restarted!: () => void;
    const restartDone = new Promise<void>((resolve) => (restarted = resolve));
    try {
      const streaming = scripts.map(async (script, i) => {
        const transport = open(`${label}_c${i}`, `${label}_u${i}`);
        const outcome = await runChatTurn(transport, {
          chatId: `${label}_chat${i}`,
          prompt: 'tell me',
          body: scriptBody(script),
          resumeDeadlineMs: 60_000,
          onChunk: (chunk) => {
            if (chunk.type === 'text-delta' && ++midTurn === CLIENTS * 10) {
              // Every client has ~10 tokens of its ~80: kill the broker, state and all.
              for (let page = 0; page < CLIENTS; page++) if (!finished.has(page)) streamingAtKill.add(page);
              void stack.broker.restart(DOWN_MS).then(restarted);
            }
          },
        });
        finished.add(i);
        outcomes.push(outcome);
        for (const problem of checkTurn(outcome, expectedText(script))) problems.push(`streaming page ${i}: ${problem}`);
        if (!streamingAtKill.has(i)) problems.push(`streaming page ${i}: the restart did not land mid-turn`);
      });

      // Reloads: once the broker is back (turns still running), a fresh page per chat resumes.
      await Promise.race([restartDone, Promise.all(streaming)]);
      const reloads = scripts.map(async (script, i) => {
        const transport = open(`${label}_reload${i}`, `${label}_u${i}`);
        const stream = await transport.reconnectToStream({ chatId: `${label}_chat${i}` });
        if (!stream) {
          problems.push(`reloaded page ${i}: reconnectToStream returned null with the turn still running on a live worker`);
          return;
        }
        const reader = stream.getReader();
        let text = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          if (value.type === 'text-delta') text += value.delta;
          if (value.type === 'start') text = '';
        }
        if (text !== expectedText(script)) problems.push(`reloaded page ${i}: text mismatch (${text.length} of ${expectedText(script).length} chars)`);
      });
      await Promise.all([...streaming, ...reloads.map((reload) => reload.catch((error: unknown) => void problems.push(`reloaded page: ${String(error)}`)))]);
    } finally {
      for (const transport of transports) transport.close();
    }
    recordRow({
      scenario: '10 retained lost',
      broker: kind,
      turns: outcomes.length + CLIENTS,
      // Every streaming page lost its connection with the broker.
      disconnects: streamingAtKill.size,
      chunks: outcomes.reduce((n, o) => n + o.rendered.filter((c) => c.type === 'text-delta').length, 0),
      replays: outcomes.reduce((n, o) => n + o.replays, 0),
      mismatches: problems.length,
      notes: { streamingPages: CLIENTS, reloadedPages: CLIENTS, surfacedToConsumer: outcomes.reduce((n, o) => n + o.disconnects, 0), firstProblems: problems.slice(0, 3) },
      durationMs: Date.now() - started,
    });
    expect(problems.slice(0, 8).join('\n')).toBe('');
  }, 120_000);
});
