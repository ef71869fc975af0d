import { describe, expect, it } from 'vitest';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { UIMessage } from 'ai';
import { StreamTimeoutError, createNetworkError } from '../../src/transport/errors.js';
import { WAIT, assistantMessage, tick, userMessage } from './fake-transport.js';
import { createHarness } from './harness.js';
import { expectNoAxeViolations } from './axe.js';

async function startTurn(h: ReturnType<typeof createHarness>, user: ReturnType<typeof userEvent.setup>, text = 'Hello') {
  const before = h.transport.turns.length;
  await user.type(screen.getByRole('textbox', { name: 'Message' }), `${text}{Enter}`);
  await act(async () => tick());
  await waitFor(() => expect(h.transport.turns).toHaveLength(before + 1), WAIT);
  return h.transport.lastTurn;
}

/** Waits until the answer row `id` shows `text`. */
async function shown(container: HTMLElement, id: string, text: string) {
  await waitFor(() => expect(container.querySelector(`[data-slot="message"][data-message-id="${id}"]`)?.textContent).toContain(text), WAIT);
}

describe('ChatWindow', () => {
  it('zero-config: an empty, accessible chat with a labelled log, status and composer', async () => {
    const h = createHarness();
    const { container } = render(<h.App />);
    const log = screen.getByRole('log', { name: 'Conversation' });
    expect(log.getAttribute('aria-busy')).toBe('false');
    expect(within(log).getByText(/No messages yet/)).toBeTruthy();
    expect(screen.getByText('Connected')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Send' })).toHaveProperty('disabled', true);
    await expectNoAxeViolations(container);
  });

  it('Enter sends, Shift+Enter adds a line, focus stays in the input', async () => {
    const user = userEvent.setup();
    const h = createHarness();
    render(<h.App />);
    const input = screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement;
    await user.type(input, 'line one{Shift>}{Enter}{/Shift}line two');
    expect(input.value).toBe('line one\nline two');
    expect(h.transport.turns).toHaveLength(0);
    await user.keyboard('{Enter}');
    await act(async () => tick());
    await waitFor(() => expect(h.transport.turns).toHaveLength(1), WAIT);
    expect(input.value).toBe('');
    expect(document.activeElement).toBe(input);
    const sent = (h.transport.lastTurn.options.messages as UIMessage[]).at(-1)!;
    expect(sent.parts[0]).toMatchObject({ type: 'text', text: 'line one\nline two' });
  });

  it('does not send an empty message', async () => {
    const user = userEvent.setup();
    const h = createHarness();
    render(<h.App />);
    await user.type(screen.getByRole('textbox', { name: 'Message' }), '   {Enter}');
    expect(h.transport.turns).toHaveLength(0);
  });

  it('while streaming: log is busy, Stop replaces Send, one announcement at start and one at end', async () => {
    const user = userEvent.setup();
    const h = createHarness();
    const { container } = render(<h.App />);
    const turn = await startTurn(h, user);
    const log = screen.getByRole('log');
    await waitFor(() => expect(log.getAttribute('aria-busy')).toBe('true'), WAIT);
    const announcer = container.querySelector('[data-slot="announcer"]')!;
    await waitFor(() => expect(announcer.textContent).toBe('Assistant is responding.'), WAIT);
    expect(screen.getByRole('button', { name: 'Stop' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Send' })).toBeNull();

    await act(async () => {
      turn.start('a1').text('Hello **wor');
      await tick(30);
    });
    // Streaming markdown: the unterminated bold renders as bold, not as raw asterisks.
    const streamingRow = () => container.querySelector('[data-slot="message"][data-state="streaming"]');
    await waitFor(() => expect(streamingRow()?.textContent).toContain('Hello wor'), WAIT);
    const live = streamingRow()!;
    expect(live.textContent).not.toContain('**');
    expect(live.querySelector('strong')?.textContent).toBe('wor');
    expect(announcer.textContent).toBe('Assistant is responding.');
    await expectNoAxeViolations(container);

    await act(async () => {
      turn.text('ld**').finish();
      await tick(30);
    });
    await waitFor(() => expect(log.getAttribute('aria-busy')).toBe('false'), WAIT);
    await waitFor(() => expect(announcer.textContent).toBe('Assistant finished responding.'), WAIT);
    await waitFor(() => expect(container.querySelector('[data-slot="message"][data-state="streaming"]')).toBeNull(), WAIT);
    await expectNoAxeViolations(container);
  });

  it('Stop and Escape stop the answer, announce it, and return focus to the input', async () => {
    const user = userEvent.setup();
    const h = createHarness();
    const { container } = render(<h.App />);
    let turn = await startTurn(h, user);
    await act(async () => {
      turn.start('a1').text('Working');
      await tick(30);
    });
    await shown(container, 'a1', 'Working');
    await user.click(screen.getByRole('button', { name: 'Stop' }));
    await act(async () => tick(10));
    await waitFor(() => expect(turn.cancelled).toBe(true), WAIT);
    expect(await screen.findByRole('button', { name: 'Send' }, WAIT)).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('textbox', { name: 'Message' })), WAIT);
    await waitFor(() => expect(container.querySelector('[data-slot="announcer"]')!.textContent).toBe('Response stopped.'), WAIT);

    turn = await startTurn(h, user, 'again');
    await act(async () => {
      turn.start('a2').text('More');
      await tick(30);
    });
    await shown(container, 'a2', 'More');
    await user.keyboard('{Escape}');
    await act(async () => tick(10));
    await waitFor(() => expect(turn.cancelled).toBe(true), WAIT);
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('textbox', { name: 'Message' })), WAIT);

    // Escape works from the transcript too (keyboard users scrolling it).
    turn = await startTurn(h, user, 'third');
    await act(async () => {
      turn.start('a3').text('Even more');
      await tick(30);
    });
    await shown(container, 'a3', 'Even more');
    container.querySelector<HTMLElement>('.csk-viewport-scroller')!.focus();
    await user.keyboard('{Escape}');
    await act(async () => tick(10));
    await waitFor(() => expect(turn.cancelled).toBe(true), WAIT);
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('textbox', { name: 'Message' })), WAIT);
  });

  it('while offline, sending is disabled with a visible reason tied to the input; the draft stays editable', async () => {
    const user = userEvent.setup();
    const h = createHarness();
    const { container } = render(<h.App />);
    act(() => h.transport.setConnection({ status: 'reconnecting', attempt: 1, nextRetryAt: Date.now() + 3000 }));
    const input = screen.getByRole('textbox', { name: 'Message' });
    await user.type(input, 'draft{Enter}');
    expect(h.transport.turns).toHaveLength(0);
    expect((input as HTMLTextAreaElement).value).toBe('draft');
    expect(screen.getByRole('button', { name: 'Send' })).toHaveProperty('disabled', true);
    const reason = screen.getByText(/Not connected. You can send once the connection is back/);
    expect(input.getAttribute('aria-describedby')).toContain(reason.id);
    expect(screen.getByText('Reconnecting')).toBeTruthy(); // status indicator
    expect(screen.getByText('Connection lost. Reconnecting…')).toBeTruthy(); // banner
    await expectNoAxeViolations(container);

    act(() => h.transport.setConnection({ status: 'connected', attempt: 0, connectedAt: 5 }));
    await user.click(screen.getByRole('button', { name: 'Send' }));
    await act(async () => tick());
    await waitFor(() => expect(h.transport.turns).toHaveLength(1), WAIT);
  });

  it('shows reasoning and tool parts plainly', async () => {
    const messages: UIMessage[] = [
      userMessage('u1', 'weather?'),
      {
        id: 'a1',
        role: 'assistant',
        parts: [
          { type: 'reasoning', text: 'The user wants the weather.', state: 'done' },
          { type: 'tool-getWeather', toolCallId: 't1', state: 'output-available', input: { city: 'Oslo' }, output: { tempC: 3 } },
          { type: 'text', text: 'It is **3 °C** in Oslo.', state: 'done' },
        ],
      } as UIMessage,
    ];
    const h = createHarness(messages);
    const { container } = render(<h.App />);
    expect(screen.getByText('Thoughts')).toBeTruthy();
    expect(screen.getByText('The user wants the weather.')).toBeTruthy();
    expect(screen.getByText('Tool: getWeather')).toBeTruthy();
    expect(screen.getByText('done')).toBeTruthy();
    expect(container.querySelector('.csk-tool pre')!.textContent).toContain('"city": "Oslo"');
    expect(container.querySelector(".csk-markdown strong")!.textContent).toBe("3 °C");
    await expectNoAxeViolations(container);
  });

  it('copies an answer and regenerates the last one', async () => {
    const user = userEvent.setup();
    const h = createHarness([userMessage('u1', 'q'), assistantMessage('a1', 'The answer')]);
    const { container } = render(<h.App />);
    const answer = container.querySelector<HTMLElement>('[data-message-id="a1"]')!;
    await user.click(within(answer).getByRole('button', { name: 'Copy' }));
    expect(await navigator.clipboard.readText()).toBe('The answer');
    expect(within(answer).getByRole('button', { name: 'Copied' })).toBeTruthy();
    // The user's own message can be copied too.
    const question = container.querySelector<HTMLElement>('[data-message-id="u1"]')!;
    await user.click(within(question).getByRole('button', { name: 'Copy' }));
    expect(await navigator.clipboard.readText()).toBe('q');

    await user.click(screen.getByRole('button', { name: 'Regenerate' }));
    await act(async () => tick());
    await waitFor(() => expect(h.transport.turns).toHaveLength(1), WAIT);
    expect(h.transport.lastTurn.options.trigger).toBe('regenerate-message');
    expect(h.transport.lastTurn.options.messageId).toBe('a1');
  });

  it('a failed turn shows an error row with Retry; Retry sends again', async () => {
    const user = userEvent.setup();
    const h = createHarness();
    const { container } = render(<h.App />);
    const turn = await startTurn(h, user);
    await act(async () => {
      turn.fail(new StreamTimeoutError(60_000));
      await tick(10);
    });
    const row = await screen.findByRole('alert', undefined, WAIT);
    expect(row.textContent).toContain('The assistant stopped responding.');
    await waitFor(() => expect(container.querySelector('[data-slot="announcer"]')!.textContent).toBe('The response failed.'), WAIT);
    await expectNoAxeViolations(container);
    await user.click(within(row).getByRole('button', { name: 'Retry' }));
    await act(async () => tick());
    await waitFor(() => expect(h.transport.turns).toHaveLength(2), WAIT);
    expect(h.transport.lastTurn.options.trigger).toBe('regenerate-message');
    await waitFor(() => expect(screen.queryByRole('alert')).toBeNull(), WAIT);
  });

  it('a dropped connection is not an error row: the banner shows it and the answer resumes', async () => {
    const user = userEvent.setup();
    const h = createHarness();
    const { container } = render(<h.App />);
    const turn = await startTurn(h, user);
    await act(async () => {
      turn.start('a1').text('Half an');
      await tick(30);
    });
    await shown(container, 'a1', 'Half an');
    await act(async () => {
      h.transport.setConnection({ status: 'reconnecting', attempt: 1, nextRetryAt: Date.now() + 2000 });
      turn.fail(createNetworkError('socket closed'));
      await tick(10);
    });
    // The failure has reached the window (the answer shows as paused), and it is no error row.
    await waitFor(() => expect(container.querySelector('[data-message-id="a1"]')!.getAttribute('data-state')).toBe('paused'), WAIT);
    expect(container.querySelector('[data-slot="error-row"]')).toBeNull();
    expect(screen.getByText('Connection lost. Reconnecting…')).toBeTruthy();
    expect(container.textContent).toContain('Half an');
    // The end of the response has not been announced: it is only interrupted.
    expect(container.querySelector('[data-slot="announcer"]')!.textContent).toBe('Assistant is responding.');

    h.transport.hasLiveTurn = true;
    await act(async () => {
      h.transport.setConnection({ status: 'connected', attempt: 0, connectedAt: 9 });
      await tick(10);
    });
    await waitFor(() => expect(h.transport.turns.map((t) => t.kind)).toEqual(['send', 'reconnect']), WAIT);
    await act(async () => {
      h.transport.lastTurn.start('a1').text('Half an answer, whole now.').finish();
      await tick(30);
    });
    await waitFor(() => expect(container.textContent).toContain('Half an answer, whole now.'), WAIT);
    expect(container.querySelectorAll('[data-slot="message"]')).toHaveLength(2);
    await waitFor(() => expect(container.querySelector('[data-slot="announcer"]')!.textContent).toBe('Assistant finished responding.'), WAIT);
  });

  it('labels can be overridden in one object', () => {
    const h = createHarness();
    render(<h.App labels={{ send: 'Envoyer', inputLabel: 'Votre message', transcript: 'Fil' }} />);
    expect(screen.getByRole('button', { name: 'Envoyer' })).toBeTruthy();
    expect(screen.getByRole('textbox', { name: 'Votre message' })).toBeTruthy();
    expect(screen.getByRole('log', { name: 'Fil' })).toBeTruthy();
  });

  it('dark theme is a data attribute on the root', () => {
    const h = createHarness();
    const { container } = render(<h.App theme="dark" />);
    expect(container.querySelector('[data-slot="chat-window"]')!.getAttribute('data-theme')).toBe('dark');
  });

  it('when credentials are refused, the composer says why sending is paused and the banner alerts', async () => {
    const h = createHarness();
    const { container } = render(<h.App />);
    act(() => h.transport.setConnection({ status: 'error', lastError: { kind: 'auth', message: 'not authorized' } }));
    expect(screen.getByText('Sending is paused: the chat service refused the connection.')).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toMatch(/refused your credentials/);
    expect(screen.getByRole('button', { name: 'Send' })).toHaveProperty('disabled', true);
    await expectNoAxeViolations(container);
  });
});
