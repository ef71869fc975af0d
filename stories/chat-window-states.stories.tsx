import type { Meta, StoryObj } from '@storybook/react-vite';
import type { UIMessage } from 'ai';
import { expect, userEvent, waitFor, within } from 'storybook/test';
import { ChatWindow } from '../src/components/chat-window.js';
import { FrozenChatWindow, type FrozenChatWindowProps } from './support/static-chat.js';
import { expectAccessibleEverywhere } from './support/a11y.js';

/**
 * Every state a row or the window can be in, each frozen in place (no broker), checked with axe
 * at 375, 768 and 1280 px in light and dark. The live stories under "ChatWindow" show the same
 * states reached through the real transport.
 */
const meta: Meta<typeof FrozenChatWindow> = {
  title: 'ChatWindow/States',
  component: ChatWindow as unknown as typeof FrozenChatWindow,
  render: (args) => <FrozenChatWindow {...args} />,
  args: { title: 'Support' },
  parameters: { controls: { exclude: ['frozen', 'chat'] } },
};
export default meta;
type Story = StoryObj<typeof FrozenChatWindow>;

const user = (id: string, text: string): UIMessage => ({ id, role: 'user', parts: [{ type: 'text', text }] });
const answer = (id: string, text: string, state: 'done' | 'streaming' = 'done'): UIMessage => ({ id, role: 'assistant', parts: [{ type: 'text', text, state }] });

const QUESTION = user('u1', 'How does the answer survive a dropped connection?');
const PARTIAL = 'Every chunk carries a sequence number. When the socket drops, the client asks the worker to';
const FULL = `${PARTIAL} replay from the last sequence it saw, so nothing is lost or doubled.`;

function row(canvasElement: HTMLElement, id: string): HTMLElement {
  const el = canvasElement.querySelector<HTMLElement>(`[data-slot="message"][data-message-id="${id}"]`);
  if (!el) throw new Error(`no row ${id}`);
  return el;
}

export const Thinking: Story = {
  args: { frozen: { messages: [QUESTION], status: 'submitted', generation: 'thinking' } },
  play: async ({ canvasElement }) => {
    const thinking = canvasElement.querySelector('[data-slot="thinking-row"]')!;
    await expect(thinking).toHaveTextContent('Thinking…');
    await expect(within(canvasElement).getByRole('button', { name: 'Stop' })).toBeInTheDocument();
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const StreamingWithCaret: Story = {
  args: { frozen: { messages: [QUESTION, answer('a1', PARTIAL, 'streaming')], status: 'streaming', generation: 'generating' } },
  play: async ({ canvasElement }) => {
    await expect(row(canvasElement, 'a1')).toHaveAttribute('data-state', 'streaming');
    await expect(within(row(canvasElement, 'a1')).queryByRole('button', { name: 'Copy' })).toBeNull();
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const PausedWhileReconnecting: Story = {
  args: {
    frozen: {
      messages: [QUESTION, answer('a1', PARTIAL, 'streaming')],
      status: 'error',
      error: new TypeError('network: socket closed'),
      errorKind: 'network',
      connection: { status: 'reconnecting', attempt: 2, isConnected: false },
      generation: 'generating',
    },
  },
  play: async ({ canvasElement }) => {
    const answerRow = row(canvasElement, 'a1');
    await expect(answerRow).toHaveAttribute('data-state', 'paused');
    await expect(answerRow).toHaveTextContent('Paused while reconnecting…');
    await expect(within(answerRow).queryByRole('button', { name: 'Regenerate' })).toBeNull();
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const Stopped: Story = {
  args: { frozen: { messages: [QUESTION, answer('a1', PARTIAL)], generation: 'aborted' } },
  play: async ({ canvasElement }) => {
    const answerRow = row(canvasElement, 'a1');
    await expect(answerRow).toHaveAttribute('data-state', 'stopped');
    await expect(within(answerRow).getByText('Stopped')).toBeInTheDocument();
    await expect(within(answerRow).getByRole('button', { name: 'Regenerate' })).toBeInTheDocument();
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const StoppedBeforeFirstToken: Story = {
  args: { frozen: { messages: [QUESTION, { id: 'a1', role: 'assistant', parts: [] }], generation: 'aborted' } },
  play: async ({ canvasElement }) => {
    const answerRow = row(canvasElement, 'a1');
    await expect(answerRow).toHaveAttribute('data-empty');
    await expect(answerRow).toHaveTextContent('Stopped before the answer started.');
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const Interrupted: Story = {
  args: {
    frozen: {
      messages: [QUESTION, answer('a1', PARTIAL)],
      status: 'error',
      error: new Error('stream timeout'),
      errorKind: 'timeout',
      generation: 'error',
    },
  },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await expect(row(canvasElement, 'a1')).toHaveTextContent('Interrupted');
    await expect(canvas.getAllByRole('button', { name: 'Retry' })).toHaveLength(1);
    await expect(canvas.queryByRole('button', { name: 'Regenerate' })).toBeNull();
    await expectAccessibleEverywhere(canvasElement);
  },
};

const TOOL_MESSAGES: UIMessage[] = [
  user('u1', 'Book me a table for two in Oslo tonight and tell me the weather.'),
  {
    id: 'a1',
    role: 'assistant',
    parts: [
      { type: 'tool-getWeather', toolCallId: 'c1', state: 'output-available', input: { city: 'Oslo' }, output: { tempC: 3, sky: 'overcast' } },
      { type: 'tool-searchRestaurants', toolCallId: 'c2', state: 'input-available', input: { city: 'Oslo', seats: 2 } },
      { type: 'tool-chargeCard', toolCallId: 'c3', state: 'output-error', input: { amount: 120 }, errorText: 'Card declined.' },
      {
        type: 'tool-bookTable',
        toolCallId: 'c4',
        state: 'approval-requested',
        input: { restaurant: 'Maaemo', time: '19:30', seats: 2 },
        approval: { id: 'approval-1' },
      },
    ],
  } as UIMessage,
];

export const ToolCallsAndApproval: Story = {
  args: { frozen: { messages: TOOL_MESSAGES, status: 'ready' } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const card = (name: string) => canvasElement.querySelector<HTMLElement>(`[data-slot="tool"][data-tool="${name}"]`)!;
    await expect(card('getWeather')).toHaveTextContent('done');
    await expect(card('searchRestaurants')).toHaveTextContent('running');
    await expect(card('chargeCard')).toHaveTextContent('Card declined.');
    await expect(card('bookTable')).toHaveTextContent('awaiting approval');
    await expectAccessibleEverywhere(canvasElement);
    await userEvent.click(canvas.getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(card('bookTable')).toHaveAttribute('data-state', 'approval-responded'));
    await expect(canvas.queryByRole('button', { name: 'Approve' })).toBeNull();
  },
};

export const Reasoning: Story = {
  args: {
    frozen: {
      messages: [
        QUESTION,
        {
          id: 'a1',
          role: 'assistant',
          parts: [
            { type: 'reasoning', text: 'The user asks about resume. Explain sequence numbers and replay.', state: 'done' },
            { type: 'text', text: FULL, state: 'done' },
          ],
        },
        user('u2', 'And if the worker crashes?'),
        { id: 'a2', role: 'assistant', parts: [{ type: 'reasoning', text: 'Workers share requests, so another one', state: 'streaming' }] },
      ],
      status: 'streaming',
      generation: 'thinking',
    },
  },
  play: async ({ canvasElement }) => {
    const [done, live] = [...canvasElement.querySelectorAll<HTMLElement>('[data-slot="reasoning"]')];
    await expect(done).not.toHaveAttribute('open');
    await expect(done).toHaveTextContent('Thoughts');
    await expect(live).toHaveAttribute('open');
    await expect(live).toHaveTextContent('Thinking…');
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const EmptyWithSuggestions: Story = {
  args: { frozen: {}, suggestions: ['What can you do?', 'Summarise my last order', 'How does resume work?'] },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const group = canvas.getByRole('group', { name: 'Suggestions' });
    await expect(within(group).getAllByRole('button')).toHaveLength(3);
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const FollowUps: Story = {
  args: { frozen: { messages: [QUESTION, answer('a1', FULL)] }, followUps: ['What if the worker crashes?', 'How big can a turn be?'] },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await expect(within(canvas.getByRole('group', { name: 'Suggested follow-ups' })).getAllByRole('button')).toHaveLength(2);
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const LoadingHistory: Story = {
  args: { frozen: { history: { status: 'loading', hasOlder: false, loadOlder: async () => undefined, versions: [] } } },
  play: async ({ canvasElement }) => {
    await expect(canvasElement.querySelector('[data-slot="history-skeleton"]')).not.toBeNull();
    await expect(canvasElement).not.toHaveTextContent('No messages yet');
    await expect(within(canvasElement).getByRole('log')).toHaveAttribute('aria-busy', 'true');
    await expectAccessibleEverywhere(canvasElement);
  },
};

const BOT = (
  <svg viewBox="0 0 28 28" aria-hidden="true">
    <rect width="28" height="28" fill="#1f5fd1" />
    <circle cx="10" cy="13" r="2.5" fill="#fff" />
    <circle cx="18" cy="13" r="2.5" fill="#fff" />
  </svg>
);
const avatar = (role: UIMessage['role']) => (role === 'assistant' ? BOT : null);
const timestamp = (message: UIMessage) => (message.metadata as { createdAt?: number } | undefined)?.createdAt;
const onFeedback = () => undefined;

export const AvatarsTimestampsFeedback: Story = {
  args: {
    frozen: {
      messages: [
        { ...QUESTION, metadata: { createdAt: Date.UTC(2026, 0, 5, 9, 41) } },
        { ...answer('a1', FULL), metadata: { createdAt: Date.UTC(2026, 0, 5, 9, 42) } },
      ],
    },
    avatar,
    timestamp,
    onFeedback,
  } satisfies Partial<FrozenChatWindowProps>,
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await expect(canvasElement.querySelectorAll('[data-slot="message-time"]')).toHaveLength(2);
    await userEvent.click(canvas.getByRole('button', { name: 'Good answer' }));
    await expect(canvas.getByRole('button', { name: 'Good answer' })).toHaveAttribute('aria-pressed', 'true');
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const HostileUrlsRenderAsText: Story = {
  args: {
    frozen: {
      messages: [
        user('u1', 'Sources?'),
        {
          id: 'a1',
          role: 'assistant',
          parts: [
            { type: 'text', text: 'Here are the sources I found.', state: 'done' },
            { type: 'source-url', sourceId: 's1', url: 'https://example.com/guide', title: 'The guide' },
            { type: 'source-url', sourceId: 's2', url: 'javascript:alert(document.cookie)', title: 'Totally safe link' },
            { type: 'file', mediaType: 'application/pdf', filename: 'invoice.pdf', url: ' JaVaScRiPt:alert(1)' },
          ],
        },
      ],
    },
  },
  play: async ({ canvasElement }) => {
    const hrefs = [...canvasElement.querySelectorAll('[data-slot="message"] a')].map((a) => a.getAttribute('href'));
    await expect(hrefs).toEqual(['https://example.com/guide']);
    await expect(within(canvasElement).getByText('Totally safe link').tagName).toBe('SPAN');
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const CodeFenceJustOpened: Story = {
  args: { frozen: { messages: [user('u1', 'Show me the worker'), answer('a1', 'A worker takes only a few lines:\n\n```ts\n', 'streaming')], status: 'streaming', generation: 'generating' } },
  play: async ({ canvasElement }) => {
    const answerRow = row(canvasElement, 'a1');
    // A fence with no code yet draws no code box at all (D13): no empty box that the next token
    // reshapes. The tallest the row ever gets is recorded by a ResizeObserver while it settles.
    let tallest = answerRow.getBoundingClientRect().height;
    const observer = new ResizeObserver(() => (tallest = Math.max(tallest, answerRow.getBoundingClientRect().height)));
    observer.observe(answerRow);
    await waitFor(() => expect(answerRow).toHaveTextContent('A worker takes only a few lines:'));
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    observer.disconnect();
    await expect(answerRow.querySelector('[data-streamdown="code-block"], pre')).toBeNull();
    await expect(answerRow).not.toHaveTextContent('```');
    await expect(tallest).toBeLessThan(200);
    await expectAccessibleEverywhere(canvasElement);
  },
};

const LONG_PARAGRAPH = Array.from({ length: 24 }, (_, i) => `Sentence ${i + 1} of one long paragraph, with **bold** and \`code\` along the way.`).join(' ');

export const LongParagraphStreaming: Story = {
  args: { frozen: { messages: [user('u1', 'Explain it in one paragraph'), answer('a1', `Short intro.\n\n${LONG_PARAGRAPH}`, 'streaming')], status: 'streaming', generation: 'generating' } },
  play: async ({ canvasElement }) => {
    const answerRow = row(canvasElement, 'a1');
    // Parsed in runs while streaming (a token re-parses only the end), still laid out as one paragraph.
    const runs = await waitFor(() => {
      const found = answerRow.querySelector<HTMLElement>('[data-slot="markdown-runs"]');
      if (!found) throw new Error('no runs');
      return found;
    });
    for (const paragraph of runs.querySelectorAll('p')) await expect(getComputedStyle(paragraph).display).toBe('inline');
    await expect(answerRow.querySelectorAll('strong')).toHaveLength(24);
    await expect(answerRow).toHaveTextContent('Sentence 24 of one long paragraph');
    await expectAccessibleEverywhere(canvasElement);
  },
};

/** Two chats side by side: each transcript has its own name, and neither adds a banner landmark. */
function TwoWindows() {
  return (
    <main style={{ display: 'flex', gap: 12, height: '100%' }}>
      <div style={{ flex: 1, minWidth: 0 }}>
        <FrozenChatWindow title="Support" frozen={{ messages: [QUESTION, answer('a1', FULL)] }} />
      </div>
      <div style={{ flex: 1, minWidth: 0 }}>
        <FrozenChatWindow title="Sales" frozen={{ messages: [user('u9', 'Do you have a team plan?')], status: 'submitted', generation: 'queued' }} />
      </div>
    </main>
  );
}

export const TwoWindowsOnOnePage: Story = {
  render: () => <TwoWindows />,
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await expect(canvas.getByRole('region', { name: 'Conversation: Support' })).toBeInTheDocument();
    await expect(canvas.getByRole('region', { name: 'Conversation: Sales' })).toBeInTheDocument();
    await expect(canvasElement.querySelector('header')).toBeNull();
    await expectAccessibleEverywhere(canvasElement);
  },
};
