import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, fireEvent, userEvent, waitFor, within } from 'storybook/test';
import { ChatWindow } from '../src/components/chat-window.js';
import { StoryChat, longHistory } from './support/story-chat.js';
import { assistantRows, distanceFromBottom, scroller, send } from './support/play.js';
import { expectAccessibleEverywhere } from './support/a11y.js';

/**
 * `<ChatWindow chat={useCloudSignalChat(...)} />` against the in-memory mock broker, with the real
 * transport and the real chat worker answering from a script.
 */
const meta: Meta<typeof StoryChat> = {
  title: 'ChatWindow',
  // Docs and controls describe ChatWindow's own props; the stories render it through the mock-broker harness.
  component: ChatWindow as unknown as typeof StoryChat,
  render: (args) => <StoryChat {...args} />,
  tags: ['autodocs'],
  args: { title: 'Support' },
  parameters: { controls: { exclude: ['chat', 'scenario', 'messages', 'faults'] } },
};
export default meta;
type Story = StoryObj<typeof StoryChat>;

const FULL_ANSWER_END = /That is all\./;

export const Empty: Story = {
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const log = await canvas.findByRole('log', { name: 'Conversation' }, { timeout: 10_000 });
    await expect(log).toHaveTextContent('No messages yet');
    await waitFor(() => expect(canvas.getAllByRole('status')[0]).toHaveTextContent('Connected'));
    await expect(canvas.getByRole('button', { name: 'Send' })).toBeDisabled();
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const StreamingAnswer: Story = {
  args: { scenario: { tokenDelayMs: 30 } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const input = await send(canvasElement, 'What is MQTT?');
    const log = canvas.getByRole('log');
    await waitFor(() => expect(log).toHaveAttribute('aria-busy', 'true'));
    await expect(canvas.getByRole('button', { name: 'Stop' })).toBeInTheDocument();
    await waitFor(() => expect(canvas.getAllByRole('status')[0]).toHaveTextContent('Generating'), { timeout: 5_000 });
    await waitFor(() => expect(log).toHaveTextContent(FULL_ANSWER_END), { timeout: 15_000 });
    await waitFor(() => expect(log).toHaveAttribute('aria-busy', 'false'));
    await expect(canvasElement.querySelector('[data-slot="announcer"]')).toHaveTextContent('Assistant finished responding.');
    await expect(document.activeElement).toBe(input);
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const Thinking: Story = {
  args: { scenario: { thinkMs: 2_500, reasoning: 'The user wants a summary, so keep it short and list the guarantees. ', tokenDelayMs: 20 } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await send(canvasElement, 'Summarise the guarantees');
    await waitFor(() => expect(canvas.getAllByRole('status')[0]).toHaveTextContent('Thinking'), { timeout: 5_000 });
    await waitFor(() => expect(canvasElement.querySelector('[data-slot="reasoning"]')).not.toBeNull(), { timeout: 10_000 });
    await waitFor(() => expect(canvas.getByRole('log')).toHaveTextContent(FULL_ANSWER_END), { timeout: 15_000 });
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const ToolCall: Story = {
  args: {
    scenario: {
      tool: { name: 'getWeather', input: { city: 'Oslo' }, output: { tempC: 3, sky: 'overcast' }, runMs: 800 },
      answer: () => 'It is **3 °C** and overcast in Oslo. That is all.',
    },
  },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await send(canvasElement, 'Weather in Oslo?');
    const tool = await canvas.findByText('Tool: getWeather', {}, { timeout: 10_000 });
    const box = tool.closest<HTMLElement>('[data-slot="tool"]')!;
    await expect(box).toHaveAttribute('data-state', 'input-available');
    await expect(within(box).getByText('running')).toBeInTheDocument();
    await waitFor(() => expect(box).toHaveAttribute('data-state', 'output-available'), { timeout: 5_000 });
    await userEvent.click(within(box).getByText('Output'));
    await expect(box).toHaveTextContent('"sky": "overcast"');
    await waitFor(() => expect(canvas.getByRole('log')).toHaveTextContent(FULL_ANSWER_END), { timeout: 10_000 });
    await expectAccessibleEverywhere(canvasElement);
  },
};

const MARKDOWN_ANSWER = `## Subscribing in TypeScript

A worker subscribes with a **shared subscription** where the broker supports it:

\`\`\`ts
const client = mqtt.connect(url, { clientId: 'worker-1' });
await client.subscribeAsync('$share/chat-workers/chat/+/+/request', { qos: 1 });
client.on('message', (topic, payload) => handle(topic, JSON.parse(payload.toString())));
\`\`\`

| channel | QoS | retained |
|---|---|---|
| stream | 0 | no |
| status | 1 | yes |

A very long line that must wrap inside the message rather than push the transcript sideways: ${'streaming-markdown-'.repeat(12)}end.

That is all.`;

export const LongMarkdownWithCode: Story = {
  args: { scenario: { answer: () => MARKDOWN_ANSWER, tokenDelayMs: 8, chunkSize: 2 } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await send(canvasElement, 'Show me code');
    await waitFor(() => expect(canvas.getByRole('log')).toHaveTextContent(FULL_ANSWER_END), { timeout: 15_000 });
    // Highlighting arrives lazily, after the code is already readable.
    await waitFor(() => expect(canvasElement.querySelector('[data-streamdown="code-block"] code span[style*="--sdm-c: #"]')).not.toBeNull(), { timeout: 15_000 });
    const view = scroller(canvasElement);
    await expect(view.scrollWidth).toBeLessThanOrEqual(view.clientWidth + 1);
    await expect(canvasElement.querySelector('table')).not.toBeNull();
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const ThousandMessageHistory: Story = {
  args: { messages: longHistory(1000), virtualize: true, scenario: { tokenDelayMs: 15 } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const log = await canvas.findByRole('log', {}, { timeout: 10_000 });
    // Virtualized: a window of rows, not a thousand.
    await waitFor(() => expect(log.querySelectorAll('[data-slot="message"]').length).toBeGreaterThan(0));
    await expect(log.querySelectorAll('[data-slot="message"]').length).toBeLessThan(80);
    // Opened at the bottom, on the latest answer.
    await waitFor(() => expect(log).toHaveTextContent('Answer 500.'), { timeout: 5_000 });
    await send(canvasElement, 'One more question');
    await waitFor(() => expect(log).toHaveTextContent(FULL_ANSWER_END), { timeout: 15_000 });
    await waitFor(() => expect(distanceFromBottom(scroller(canvasElement))).toBeLessThan(40));
    await expectAccessibleEverywhere(canvasElement);
  },
};

const LONG_ANSWER = () => Array.from({ length: 40 }, (_, i) => `Paragraph ${i + 1} of a long answer that keeps the stream going.`).join('\n\n') + '\n\nThat is all.';

export const ScrollUpDuringStream: Story = {
  args: { scenario: { answer: LONG_ANSWER, tokenDelayMs: 12 } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await send(canvasElement, 'Write a lot');
    const view = scroller(canvasElement);
    await waitFor(() => expect(view.scrollHeight).toBeGreaterThan(view.clientHeight + 200), { timeout: 15_000 });
    // Following: the view is at the bottom.
    await waitFor(() => expect(distanceFromBottom(view)).toBeLessThan(30));
    // The user scrolls up with the wheel: the view stops following at once.
    fireEvent.wheel(view, { deltaY: -400 });
    view.scrollTop = 0;
    const jump = await canvas.findByRole('button', { name: /Jump to latest/ });
    await waitFor(() => expect(jump).toHaveTextContent('1 new message'), { timeout: 5_000 });
    await new Promise((r) => setTimeout(r, 300));
    await expect(view.scrollTop).toBeLessThan(5);
    await userEvent.click(jump);
    await waitFor(() => expect(distanceFromBottom(view)).toBeLessThan(30), { timeout: 5_000 });
    await waitFor(() => expect(canvas.queryByRole('button', { name: /Jump to latest/ })).toBeNull());
    await expect(document.activeElement).toBe(canvas.getByRole('textbox', { name: 'Message' }));
    await waitFor(() => expect(canvas.getByRole('log')).toHaveTextContent(FULL_ANSWER_END), { timeout: 20_000 });
    await expect(distanceFromBottom(view)).toBeLessThan(30);
    await expectAccessibleEverywhere(canvasElement);
  },
};

// Stop reaches the worker: the status says "Stopped" (the worker's `aborted`), not only the row.
export const Stop: Story = {
  args: { scenario: { tokenDelayMs: 80 } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const input = await send(canvasElement, 'Start and stop');
    await waitFor(() => expect(assistantRows(canvasElement)[0]).toHaveTextContent(/You asked/), { timeout: 10_000 });
    await userEvent.click(canvas.getByRole('button', { name: 'Stop' }));
    await expect(document.activeElement).toBe(input);
    await waitFor(() => expect(canvas.getAllByRole('status')[0]).toHaveTextContent('Stopped'), { timeout: 5_000 });
    await expect(canvasElement.querySelector('[data-slot="announcer"]')).toHaveTextContent('Response stopped.');
    await new Promise((r) => setTimeout(r, 500));
    await expect(canvas.getByRole('log')).not.toHaveTextContent(FULL_ANSWER_END);
    await expect(canvas.getByRole('button', { name: 'Send' })).toBeInTheDocument();
  },
};

export const StopKeepsTheDraft: Story = {
  args: { scenario: { tokenDelayMs: 60 } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    const input = await send(canvasElement, 'Start a long answer');
    await waitFor(() => expect(assistantRows(canvasElement)[0]).toHaveTextContent(/You asked/), { timeout: 10_000 });
    await userEvent.type(input, 'a follow-up I am still writing');
    // Enter while the answer streams: nothing is sent, and the composer says why.
    await userEvent.keyboard('{Enter}');
    await expect(canvasElement.querySelector('[data-slot="composer-busy-hint"]')).toHaveTextContent('Wait for the answer to finish');
    // Stop by keyboard: Space on the focused Stop button.
    canvas.getByRole('button', { name: 'Stop' }).focus();
    await userEvent.keyboard(' ');
    await waitFor(() => expect(canvas.getByRole('button', { name: 'Send' })).toBeInTheDocument());
    await expect(document.activeElement).toBe(input);
    await expect(input).toHaveValue('a follow-up I am still writing');
    await new Promise((r) => setTimeout(r, 300));
    await expect(canvasElement.querySelectorAll('[data-slot="message"][data-role="user"]')).toHaveLength(1);
    await waitFor(() => expect(assistantRows(canvasElement)[0]).toHaveAttribute('data-state', 'stopped'));
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const RegenerateAndEditKeepVersions: Story = {
  args: { scenario: { tokenDelayMs: 5, chunkSize: 4, answer: (question, turn) => `Answer ${turn} to “${question}”. That is all.` } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await send(canvasElement, 'Pick a colour');
    await waitFor(() => expect(assistantRows(canvasElement)[0]).toHaveTextContent('Answer 1'), { timeout: 10_000 });
    await waitFor(() => expect(canvas.getByRole('button', { name: 'Regenerate' })).toBeInTheDocument(), { timeout: 10_000 });
    await userEvent.click(canvas.getByRole('button', { name: 'Regenerate' }));
    await waitFor(() => expect(assistantRows(canvasElement)[0]).toHaveTextContent('Answer 2'), { timeout: 10_000 });
    const pager = await canvas.findByRole('group', { name: 'Version 2 of 2' }, { timeout: 10_000 });
    await waitFor(() => expect(within(pager).getByRole('button', { name: 'Previous version' })).toBeEnabled(), { timeout: 10_000 });
    await userEvent.click(within(pager).getByRole('button', { name: 'Previous version' }));
    await waitFor(() => expect(assistantRows(canvasElement)[0]).toHaveTextContent('Answer 1'));
    // Edit the prompt: the first exchange stays as version 1 of the prompt.
    await userEvent.click(canvas.getByRole('button', { name: 'Edit' }));
    const editor = canvas.getByRole('textbox', { name: 'Edit your message' });
    await userEvent.clear(editor);
    await userEvent.type(editor, 'Pick a number{Enter}');
    await waitFor(() => expect(assistantRows(canvasElement)[0]).toHaveTextContent('“Pick a number”'), { timeout: 10_000 });
    await waitFor(() => expect(canvas.getByRole('group', { name: 'Version 2 of 2' })).toBeInTheDocument(), { timeout: 10_000 });
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const AttachmentsInTheComposer: Story = {
  args: { scenario: { tokenDelayMs: 5 }, maxAttachmentBytes: 4096 },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await canvas.findByRole('textbox', { name: 'Message' }, { timeout: 10_000 });
    const picker = canvasElement.querySelector<HTMLInputElement>('[data-slot="composer-file-input"]')!;
    await userEvent.upload(picker, [new File(['hello'], 'notes.txt', { type: 'text/plain' }), new File([new Uint8Array(9000)], 'big.bin')]);
    await waitFor(() => expect(canvas.getByRole('list', { name: 'Attachments' })).toHaveTextContent('notes.txt'));
    await expect(canvas.getByRole('alert')).toHaveTextContent('big.bin is too large to send (limit 4 KB).');
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const ReconnectAndResumeMidTurn: Story = {
  args: { scenario: { tokenDelayMs: 70, reconnectPeriod: 1_500 } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await send(canvasElement, 'Survive a drop');
    await waitFor(() => expect(assistantRows(canvasElement)[0]).toHaveTextContent(/short answer/), { timeout: 10_000 });
    await userEvent.click(canvas.getByRole('button', { name: 'Simulate network drop' }));
    const banner = canvasElement.querySelector('[data-slot="reconnect-banner"]')!;
    await waitFor(() => expect(banner).toHaveAttribute('data-state', 'reconnecting'));
    await expect(banner).toHaveTextContent('Connection lost. Reconnecting…');
    // A resumable drop is not an error row.
    await expect(canvasElement.querySelector('[data-slot="error-row"]')).toBeNull();
    await waitFor(() => expect(banner).toHaveTextContent('Reconnected. The answer is up to date.'), { timeout: 10_000 });
    await waitFor(() => expect(canvas.getByRole('log')).toHaveTextContent(FULL_ANSWER_END), { timeout: 15_000 });
    // Every token once: the answer is not doubled by the replay.
    const rows = assistantRows(canvasElement);
    await expect(rows).toHaveLength(1);
    await expect(rows[0].textContent!.match(/You asked/g)).toHaveLength(1);
    await expect(rows[0].textContent!.match(/That is all\./g)).toHaveLength(1);
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const OfflineWithCountdown: Story = {
  args: { scenario: { reconnectPeriod: 4_000 } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await canvas.findByRole('log', {}, { timeout: 10_000 });
    await waitFor(() => expect(canvas.getAllByRole('status')[0]).toHaveTextContent('Connected'), { timeout: 10_000 });
    await userEvent.click(canvas.getByRole('button', { name: 'Take broker offline' }));
    const countdown = await canvas.findByText(/next try in \d+ s/, {}, { timeout: 5_000 });
    const first = Number(/(\d+) s/.exec(countdown.textContent!)![1]);
    await waitFor(() => expect(Number(/(\d+) s/.exec(countdown.textContent!)?.[1] ?? 99)).toBeLessThan(first), { timeout: 3_000 });
    await expect(canvas.getByRole('button', { name: 'Retry now' })).toBeInTheDocument();
    await expect(canvas.getByRole('button', { name: 'Send' })).toBeDisabled();
    await expect(canvas.getByText(/Not connected. You can send once the connection is back/)).toBeInTheDocument();
    await expectAccessibleEverywhere(canvasElement);
    await userEvent.click(canvas.getByRole('button', { name: 'Bring broker back' }));
    await userEvent.click(canvas.getByRole('button', { name: 'Retry now' }));
    await waitFor(() => expect(canvas.getAllByRole('status')[0]).toHaveTextContent('Connected'), { timeout: 10_000 });
  },
};

export const WorkerCrashTimeout: Story = {
  args: { scenario: { tokenDelayMs: 80, streamTimeout: 3_000 } },
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await send(canvasElement, 'Then the worker dies');
    await waitFor(() => expect(assistantRows(canvasElement)[0]).toHaveTextContent(/You asked/), { timeout: 10_000 });
    await userEvent.click(canvas.getByRole('button', { name: 'Crash worker' }));
    const alert = await canvas.findByRole('alert', {}, { timeout: 10_000 });
    await expect(alert).toHaveTextContent('The assistant stopped responding.');
    await expect(within(alert).getByRole('button', { name: 'Retry' })).toBeInTheDocument();
    await waitFor(() => expect(canvasElement.querySelector('[data-slot="announcer"]')).toHaveTextContent('The response failed.'));
    await expectAccessibleEverywhere(canvasElement);
  },
};

export const DarkTheme: Story = {
  args: { theme: 'dark', messages: longHistory(6) },
  decorators: [
    (Story) => (
      <div style={{ background: '#0b0c0f', padding: 12, height: '100%' }}>
        <Story />
      </div>
    ),
  ],
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement);
    await canvas.findByRole('log', {}, { timeout: 10_000 });
    await expect(canvasElement.querySelector('[data-slot="chat-window"]')).toHaveAttribute('data-theme', 'dark');
    await waitFor(() => expect(canvas.getAllByRole('status')[0]).toHaveTextContent('Connected'), { timeout: 10_000 });
    await expectAccessibleEverywhere(canvasElement);
  },
};
