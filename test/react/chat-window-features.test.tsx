/**
 * What users of the best chat UIs expect: edit and regenerate keep earlier answers as versions,
 * tool approvals, attachments within a size budget, suggestions, and a stored chat that loads
 * without ever claiming to be empty.
 */
import { describe, expect, it, vi } from 'vitest';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { UIMessage } from 'ai';
import { useCloudSignalChat } from '../../src/hooks/use-cloudsignal-chat.js';
import { ChatWindow, type ChatWindowProps } from '../../src/components/chat-window.js';
import type { ChatHistoryState } from '../../src/hooks/types.js';
import { FakeTransport, WAIT, assistantMessage, tick, userMessage } from './fake-transport.js';
import { createHarness } from './harness.js';
import { expectNoAxeViolations } from './axe.js';

const row = (container: HTMLElement, id: string) => container.querySelector<HTMLElement>(`[data-slot="message"][data-message-id="${id}"]`)!;
const rowsText = (container: HTMLElement) => [...container.querySelectorAll('[data-slot="message-body"]')].map((b) => b.textContent);
const lastSent = (h: ReturnType<typeof createHarness>) => (h.transport.lastTurn.options.messages as UIMessage[]).at(-1)!;

/** Waits until the transport has been asked for `n` turns in all. */
const turnsSent = (h: ReturnType<typeof createHarness>, n: number) => waitFor(() => expect(h.transport.turns).toHaveLength(n), WAIT);

/** Streams a whole answer and waits until it is on screen and the chat is ready again. */
async function answer(h: ReturnType<typeof createHarness>, id: string, text: string) {
  await act(async () => {
    h.transport.lastTurn.start(id).text(text).finish();
    await tick(30);
  });
  await waitFor(() => {
    expect(h.chat().status).toBe('ready');
    expect(document.querySelector(`[data-slot="message"][data-message-id="${id}"]`)?.textContent).toContain(text);
  }, WAIT);
}

describe('versions', () => {
  it('Regenerate keeps the earlier answer as a version with a ‹ 1/2 › pager', async () => {
    const user = userEvent.setup();
    const h = createHarness([userMessage('u1', 'Name a colour'), assistantMessage('a1', 'Blue')]);
    const { container } = render(<h.App />);
    await user.click(within(row(container, 'a1')).getByRole('button', { name: 'Regenerate' }));
    await act(async () => tick());
    await turnsSent(h, 1);
    await answer(h, 'a2', 'Green');
    expect(rowsText(container)).toEqual(['Name a colour', 'Green']);
    const pager = await within(row(container, 'a2')).findByRole('group', { name: 'Version 2 of 2' }, WAIT);
    expect(pager.textContent).toContain('2/2');
    await expectNoAxeViolations(container);

    await user.click(within(pager).getByRole('button', { name: 'Previous version' }));
    expect(rowsText(container)).toEqual(['Name a colour', 'Blue']);
    const back = within(row(container, 'a1')).getByRole('group', { name: 'Version 1 of 2' });
    expect(within(back).getByRole('button', { name: 'Previous version' })).toHaveProperty('disabled', true);
    await user.click(within(back).getByRole('button', { name: 'Next version' }));
    expect(rowsText(container)).toEqual(['Name a colour', 'Green']);
  });

  /** A Norway question with its answer, and the editor opened on the question. */
  const openEditor = async () => {
    const user = userEvent.setup();
    const h = createHarness([userMessage('u1', 'Capital of Norway?'), assistantMessage('a1', 'Oslo.')]);
    const { container } = render(<h.App />);
    await user.click(within(row(container, 'u1')).getByRole('button', { name: 'Edit' }));
    const editor = screen.getByRole('textbox', { name: 'Edit your message' }) as HTMLTextAreaElement;
    return { user, h, container, editor };
  };

  it('Edit resends a changed prompt; the old prompt and its answer stay as version 1', async () => {
    const { user, h, container, editor } = await openEditor();
    expect(editor.value).toBe('Capital of Norway?');
    expect(document.activeElement).toBe(editor);
    await user.clear(editor);
    await user.type(editor, 'Capital of Sweden?{Enter}');
    await act(async () => tick());
    await turnsSent(h, 1);
    expect(lastSent(h).parts[0]).toMatchObject({ type: 'text', text: 'Capital of Sweden?' });
    // The AI SDK's edit: the prompt keeps its id and the request names it, so the worker replaces
    // the stored prompt and drops its old answer (the model never sees "Norway").
    expect(h.transport.lastTurn.options.messageId).toBe('u1');
    expect((h.transport.lastTurn.options.messages as UIMessage[]).map((m) => m.id)).toEqual(['u1']);
    await answer(h, 'a2', 'Stockholm.');
    expect(rowsText(container)).toEqual(['Capital of Sweden?', 'Stockholm.']);

    // The pager sits on the edited prompt.
    const prompt = container.querySelector<HTMLElement>('[data-slot="message"][data-role="user"]')!;
    expect(prompt.getAttribute('data-message-id')).toBe('u1');
    const pager = await within(prompt).findByRole('group', { name: 'Version 2 of 2' }, WAIT);
    await user.click(within(pager).getByRole('button', { name: 'Previous version' }));
    expect(rowsText(container)).toEqual(['Capital of Norway?', 'Oslo.']);
  });

  it('a prompt sent while an older version is shown continues the newest (stored) version', async () => {
    const { user, h, container, editor } = await openEditor();
    await user.clear(editor);
    await user.type(editor, 'Capital of Sweden?{Enter}');
    await turnsSent(h, 1);
    await answer(h, 'a2', 'Stockholm.');
    const pager = await within(row(container, 'u1')).findByRole('group', { name: 'Version 2 of 2' }, WAIT);
    await user.click(within(pager).getByRole('button', { name: 'Previous version' }));
    expect(rowsText(container)).toEqual(['Capital of Norway?', 'Oslo.']);

    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'And its population?{Enter}');
    await turnsSent(h, 2);
    // The request follows the stored branch (Sweden), never the version that was on screen.
    expect((h.transport.lastTurn.options.messages as UIMessage[]).map((m) => m.id).slice(0, -1)).toEqual(['u1', 'a2']);
    await waitFor(() => expect(rowsText(container).slice(0, 3)).toEqual(['Capital of Sweden?', 'Stockholm.', 'And its population?']), WAIT);
  });

  it('Escape cancels an edit and returns focus to Edit; nothing is sent', async () => {
    const user = userEvent.setup();
    const h = createHarness([userMessage('u1', 'hi'), assistantMessage('a1', 'hello')]);
    const { container } = render(<h.App />);
    const edit = within(row(container, 'u1')).getByRole('button', { name: 'Edit' });
    await user.click(edit);
    await user.keyboard(' there{Escape}');
    await act(async () => new Promise((r) => requestAnimationFrame(() => r())));
    expect(screen.queryByRole('textbox', { name: 'Edit your message' })).toBeNull();
    expect(h.transport.turns).toHaveLength(0);
    expect(document.activeElement).toBe(within(row(container, 'u1')).getByRole('button', { name: 'Edit' }));
  });
});

describe('tool approval', () => {
  const approvalMessages = (): UIMessage[] => [
    userMessage('u1', 'Book it'),
    {
      id: 'a1',
      role: 'assistant',
      parts: [{ type: 'tool-bookTable', toolCallId: 'call-1', state: 'approval-requested', input: { seats: 2 }, approval: { id: 'appr-1' } }],
    } as UIMessage,
  ];

  for (const [button, approved] of [['Approve', true], ['Deny', false]] as const) {
    it(`${button} answers the approval through addToolApprovalResponse`, async () => {
      const user = userEvent.setup();
      const h = createHarness(approvalMessages());
      const { container } = render(<h.App />);
      const card = container.querySelector<HTMLElement>('[data-slot="tool"]')!;
      expect(card.getAttribute('data-state')).toBe('approval-requested');
      expect(card.textContent).toContain('awaiting approval');
      await expectNoAxeViolations(container);
      await user.click(within(card).getByRole('button', { name: button }));
      await act(async () => tick());
      const part = () => h.chat().messages[1].parts[0] as { state: string; approval: { id: string; approved?: boolean } };
      await waitFor(() => expect(part().state).toBe('approval-responded'), WAIT);
      expect(part().approval).toMatchObject({ id: 'appr-1', approved });
      expect(within(container.querySelector<HTMLElement>('[data-slot="tool"]')!).queryByRole('button', { name: button })).toBeNull();
    });
  }

  it('renderTool draws a tool by name and falls back to the card for others', () => {
    const messages: UIMessage[] = [
      userMessage('u1', 'weather and time'),
      {
        id: 'a1',
        role: 'assistant',
        parts: [
          { type: 'tool-getWeather', toolCallId: 'c1', state: 'output-available', input: { city: 'Oslo' }, output: { tempC: 3 } },
          { type: 'tool-getTime', toolCallId: 'c2', state: 'output-available', input: {}, output: '12:00' },
          { type: 'data-chart', data: { points: 3 } },
        ],
      } as UIMessage,
    ];
    const h = createHarness(messages);
    const renderTool = { getWeather: ({ part }: { part: { output?: unknown } }) => <p data-testid="weather">{(part.output as { tempC: number }).tempC} °C</p> };
    const renderDataPart = (part: { type: string; data: unknown }) => <p data-testid="chart">{part.type}: {(part.data as { points: number }).points} points</p>;
    const { container } = render(<h.App renderTool={renderTool} renderDataPart={renderDataPart as ChatWindowProps['renderDataPart']} />);
    expect(screen.getByTestId('weather').textContent).toBe('3 °C');
    expect(container.querySelectorAll('[data-slot="tool"]')).toHaveLength(1);
    expect(container.querySelector('[data-slot="tool"]')!.getAttribute('data-tool')).toBe('getTime');
    expect(screen.getByTestId('chart').textContent).toBe('data-chart: 3 points');
  });
});

describe('attachments', () => {
  const file = (name: string, bytes: number, type = 'text/plain') => new File([new Uint8Array(bytes).fill(65)], name, { type });
  const fileInput = (container: HTMLElement) => container.querySelector<HTMLInputElement>('[data-slot="composer-file-input"]')!;
  const chips = (container: HTMLElement) => [...container.querySelectorAll('[data-slot="composer-attachment"]')];
  const settle = () => act(async () => tick(20));

  it('attach by button, see a removable chip, and send the file with the text', async () => {
    const user = userEvent.setup();
    const h = createHarness();
    const { container } = render(<h.App />);
    await user.upload(fileInput(container), file('notes.txt', 30));
    await settle();
    await waitFor(() => expect(chips(container)).toHaveLength(1), WAIT);
    expect(screen.getByRole('list', { name: 'Attachments' }).textContent).toContain('notes.txt');
    await expectNoAxeViolations(container);
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'Read this{Enter}');
    await act(async () => tick());
    await turnsSent(h, 1);
    const sent = lastSent(h);
    expect(sent.parts.find((p) => p.type === 'file')).toMatchObject({ type: 'file', filename: 'notes.txt', mediaType: 'text/plain' });
    expect(sent.parts.find((p) => p.type === 'text')).toMatchObject({ text: 'Read this' });
    await waitFor(() => expect(chips(container)).toHaveLength(0), WAIT);
  });

  it('remove a chip by its button; a file alone can be sent', async () => {
    const user = userEvent.setup();
    const h = createHarness();
    const { container } = render(<h.App />);
    await user.upload(fileInput(container), [file('a.txt', 10), file('b.txt', 10)]);
    await settle();
    await waitFor(() => expect(chips(container)).toHaveLength(2), WAIT);
    await user.click(screen.getByRole('button', { name: 'Remove a.txt' }));
    expect(chips(container).map((c) => c.textContent)).toEqual([expect.stringContaining('b.txt')]);
    await user.click(screen.getByRole('button', { name: 'Send' }));
    await act(async () => tick());
    await turnsSent(h, 1);
    expect(lastSent(h).parts).toEqual([expect.objectContaining({ type: 'file', filename: 'b.txt' })]);
  });

  it('a file over the budget is refused with a clear message before anything is read or sent', async () => {
    const user = userEvent.setup();
    const h = createHarness();
    const { container } = render(<h.App maxAttachmentBytes={1000} />);
    const readSpy = vi.spyOn(FileReader.prototype, 'readAsDataURL');
    await user.upload(fileInput(container), file('huge.bin', 5000, 'application/octet-stream'));
    await settle();
    // The upload has been handled (refused, with its reason shown); then nothing was read or added.
    const alert = await screen.findByRole('alert', undefined, WAIT);
    expect(readSpy).not.toHaveBeenCalled();
    readSpy.mockRestore();
    expect(chips(container)).toHaveLength(0);
    expect(alert.textContent).toBe('huge.bin is too large to send (limit 1000 B).');
    expect(h.transport.turns).toHaveLength(0);
  });

  it('files that fit one by one but not together are refused at Send, and the draft stays', async () => {
    const user = userEvent.setup();
    const h = createHarness();
    const { container } = render(<h.App maxAttachmentBytes={400} />);
    await user.upload(fileInput(container), [file('one.txt', 200), file('two.txt', 200)]);
    await settle();
    await waitFor(() => expect(chips(container)).toHaveLength(2), WAIT);
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'both{Enter}');
    expect(h.transport.turns).toHaveLength(0);
    expect(screen.getByRole('alert').textContent).toMatch(/Together the attachments are too large/);
    expect((screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement).value).toBe('both');
  });

  it('paste and drag-and-drop attach files', async () => {
    const h = createHarness();
    const { container } = render(<h.App />);
    const pasted = file('pasted.png', 20, 'image/png');
    fireEvent.paste(screen.getByRole('textbox', { name: 'Message' }), { clipboardData: { files: [pasted], types: ['Files'], getData: () => '' } });
    await settle();
    await waitFor(() => expect(chips(container)).toHaveLength(1), WAIT);
    const form = container.querySelector<HTMLElement>('[data-slot="composer"]')!;
    fireEvent.dragOver(form, { dataTransfer: { types: ['Files'], files: [] } });
    expect(form.hasAttribute('data-dragging')).toBe(true);
    fireEvent.drop(form, { dataTransfer: { types: ['Files'], files: [file('dropped.txt', 20)] } });
    await settle();
    expect(form.hasAttribute('data-dragging')).toBe(false);
    await waitFor(() => expect(chips(container).map((c) => c.textContent)).toEqual([expect.stringContaining('pasted.png'), expect.stringContaining('dropped.txt')]), WAIT);
    expect(container.querySelector('.csk-attachment-thumb')).not.toBeNull();
  });
});

describe('suggestions', () => {
  it('starters in an empty chat send with one click; follow-ups appear under the settled answer', async () => {
    const user = userEvent.setup();
    const h = createHarness();
    const { container } = render(<h.App suggestions={['What can you do?', 'Tell me a joke']} followUps={['Another one', 'Explain it']} />);
    const starters = screen.getByRole('group', { name: 'Suggestions' });
    expect(screen.queryByRole('group', { name: 'Suggested follow-ups' })).toBeNull();
    await expectNoAxeViolations(container);
    await user.click(within(starters).getByRole('button', { name: 'Tell me a joke' }));
    await act(async () => tick());
    await turnsSent(h, 1);
    expect(lastSent(h).parts[0]).toMatchObject({ text: 'Tell me a joke' });
    expect(screen.queryByRole('group', { name: 'Suggestions' })).toBeNull();
    // Not while the answer streams.
    expect(screen.queryByRole('group', { name: 'Suggested follow-ups' })).toBeNull();
    await answer(h, 'a1', 'Why did the packet cross the broker?');
    const followUps = await screen.findByRole('group', { name: 'Suggested follow-ups' }, WAIT);
    await user.click(within(followUps).getByRole('button', { name: 'Explain it' }));
    await act(async () => tick());
    await turnsSent(h, 2);
    expect(lastSent(h).parts[0]).toMatchObject({ text: 'Explain it' });
  });
});

describe('offline queue', () => {
  it('a prompt waiting for the connection is marked pending, with no thinking row and no actions', async () => {
    function App() {
      const chat = useCloudSignalChat({ id: 'c1', transport: new FakeTransport(), messages: [userMessage('u1', 'sent while offline')] });
      return <ChatWindow chat={Object.assign({}, chat, { pendingMessageIds: ['u1'], status: 'submitted', isStreaming: true })} offlineSend="queue" />;
    }
    const { container } = render(<App />);
    const prompt = row(container, 'u1');
    expect(prompt.getAttribute('data-state')).toBe('pending');
    expect(prompt.textContent).toContain('Waiting for the connection to send…');
    expect(within(prompt).queryByRole('button', { name: 'Edit' })).toBeNull();
    expect(container.querySelector('[data-slot="thinking-row"]')).toBeNull();
    await expectNoAxeViolations(container);
  });
});

describe('stored history', () => {
  function HistoryApp({ history, messages = [] }: { history: ChatHistoryState; messages?: UIMessage[] }) {
    const chat = useCloudSignalChat({ id: 'c1', transport: new FakeTransport(), messages });
    return <ChatWindow chat={Object.assign({}, chat, { history })} title="Support" />;
  }

  it('a loading chat shows a skeleton and never "No messages yet"', async () => {
    const history: ChatHistoryState = { status: 'loading', hasOlder: false, loadOlder: async () => undefined, versions: [] };
    const { container, rerender } = render(<HistoryApp history={history} />);
    expect(container.querySelector('[data-slot="history-skeleton"]')).not.toBeNull();
    expect(container.textContent).not.toContain('No messages yet');
    expect(screen.getByRole('log').getAttribute('aria-busy')).toBe('true');
    await expectNoAxeViolations(container);
    rerender(<HistoryApp history={{ ...history, status: 'ready' }} />);
    expect(container.querySelector('[data-slot="history-skeleton"]')).toBeNull();
    expect(container.textContent).toContain('No messages yet');
  });

  it('scrolling to the top loads older messages and keeps the reading position', async () => {
    const older = [userMessage('u0', 'older question'), assistantMessage('a0', 'older answer')];
    const newer = [userMessage('u2', 'newer question'), assistantMessage('a2', 'newer answer')];
    let setMessages: (m: UIMessage[]) => void = () => undefined;
    const loadOlder = vi.fn(async () => {
      await act(async () => setMessages([...older, ...newer]));
    });
    const history: ChatHistoryState = { status: 'ready', hasOlder: true, loadOlder, versions: [] };
    function App() {
      const chat = useCloudSignalChat({ id: 'c1', transport: new FakeTransport(), messages: newer });
      setMessages = chat.setMessages;
      return <ChatWindow chat={Object.assign({}, chat, { history })} />;
    }
    const { container } = render(<App />);
    const scroller = container.querySelector<HTMLElement>('.csk-viewport-scroller')!;
    // 100 px per row; the browser keeps scrollTop when content is added above.
    let top = 0;
    Object.defineProperty(scroller, 'scrollHeight', { configurable: true, get: () => scroller.querySelectorAll('[data-slot="message"]').length * 100 });
    Object.defineProperty(scroller, 'clientHeight', { configurable: true, get: () => 150 });
    Object.defineProperty(scroller, 'scrollTop', { configurable: true, get: () => top, set: (v: number) => (top = v) });
    // The user scrolls up with the wheel to near the top, reading the first newer row.
    await act(async () => {
      fireEvent.wheel(scroller, { deltaY: -180 });
      top = 20;
      fireEvent.scroll(scroller);
      await tick(10);
    });
    await waitFor(() => expect(rowsText(container)).toEqual(['older question', 'older answer', 'newer question', 'newer answer']), WAIT);
    expect(loadOlder).toHaveBeenCalledTimes(1);
    // Two rows (200 px) appeared above: the same text stays under the user's eyes.
    expect(top).toBe(220);
    // No "new messages" pill for history paged in above.
    expect(screen.queryByRole('button', { name: /Jump to latest/ })?.textContent ?? '').not.toMatch(/new message/);
  });
});
