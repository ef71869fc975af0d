import type { Meta, StoryObj } from '@storybook/react-vite';
import { Profiler, useState } from 'react';
import { expect, waitFor, within } from 'storybook/test';
import { DeviceChat, longHistory } from './support/story-chat.js';
import { useMockChatEnv } from './support/use-mock-chat-env.js';
import { send } from './support/play.js';

interface Commit {
  phase: string;
  ms: number;
  at: number;
}

/** Short paragraphs, as real answers have: streamdown re-parses only the growing last block. */
const words = Array.from({ length: 1200 }, (_, i) => `w${i}${i % 40 === 39 ? '\n\n' : ''}`).join(' ') + ' That is all.';

/**
 * Measures what the issue asks for, in Chromium: commits per second under a fast stream, and the
 * render time of one token update with 1 000 messages in the (non-virtualized) transcript.
 */
function Measured({ history }: { history: number }) {
  const env = useMockChatEnv({ answer: () => words, tokenDelayMs: 1, chunkSize: 3 });
  const [commits] = useState<Commit[]>(() => []);
  if (!env) return <p>Starting the mock broker…</p>;
  return (
    <div style={{ height: '100%' }} data-commits="" ref={(el) => void (el && ((el as unknown as { commits: Commit[] }).commits = commits))}>
      <Profiler id="chat" onRender={(_id, phase, actual, _base, _start, commitTime) => commits.push({ phase, ms: actual, at: commitTime })}>
        <DeviceChat env={env} messages={longHistory(history)} highlightCode={false} />
      </Profiler>
    </div>
  );
}

const meta: Meta<typeof Measured> = { title: 'Measurements', component: Measured };
export default meta;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function measure(canvasElement: HTMLElement) {
  const canvas = within(canvasElement);
  await canvas.findByRole('log', {}, { timeout: 10_000 });
  const holder = canvasElement.querySelector('[data-commits]') as unknown as { commits: Commit[] };
  await send(canvasElement, 'Stream fast');
  const log = canvas.getByRole('log');
  await waitFor(() => expect(log).toHaveAttribute('aria-busy', 'true'), { timeout: 5_000 });
  const from = holder.commits.length;
  const started = performance.now();
  await waitFor(() => expect(log).toHaveAttribute('aria-busy', 'false'), { timeout: 30_000 });
  const elapsed = performance.now() - started;
  const during = holder.commits.slice(from).filter((c) => c.phase !== 'mount');
  await expect(log).toHaveTextContent(/That is all\./);
  return { commits: during.length, elapsed, perSecond: (during.length / elapsed) * 1000, medianMs: median(during.map((c) => c.ms)), maxMs: Math.max(...during.map((c) => c.ms)) };
}

export const FastStreamCommitRate: StoryObj<typeof Measured> = {
  args: { history: 0 },
  play: async ({ canvasElement }) => {
    const m = await measure(canvasElement);
    console.log(`[measure:chromium] fast stream: ${m.commits} commits in ${m.elapsed.toFixed(0)} ms = ${m.perSecond.toFixed(1)} commits/s (median commit ${m.medianMs.toFixed(2)} ms)`);
    // At most one commit per ~16 ms frame (plus a little for status transitions).
    await expect(m.perSecond).toBeLessThan(75);
  },
};

export const TokenUpdateWith1000Messages: StoryObj<typeof Measured> = {
  args: { history: 1000 },
  play: async ({ canvasElement }) => {
    const m = await measure(canvasElement);
    console.log(`[measure:chromium] 1000 messages: token update median ${m.medianMs.toFixed(2)} ms, max ${m.maxMs.toFixed(2)} ms over ${m.commits} commits (${m.perSecond.toFixed(1)} commits/s)`);
    // Settled rows are memoized: a token update fits well inside one frame.
    await expect(m.medianMs).toBeLessThan(16);
  },
};
