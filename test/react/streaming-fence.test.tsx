/**
 * D13: when a code fence opens in a streaming answer, the row must not draw an empty code box
 * that the next token reshapes (the row hopped ~211 px for a frame). The box appears with code.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { act, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { withoutEmptyOpenFence } from '../../src/components/streaming-fence.js';
import { WAIT, tick } from './fake-transport.js';
import { createHarness } from './harness.js';

describe('an opening code fence in a streaming answer (D13)', () => {
  beforeAll(() => {
    // Streamdown keeps a growing code block scrolled to its end; jsdom has no element scrolling.
    Element.prototype.scrollTo ??= function scrollTo() {};
  });

  it('draws no code box until the fence has code, then draws it with the code', async () => {
    const { App, transport, chat } = createHarness();
    render(<App highlightCode={false} />);
    const user = userEvent.setup();
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'show code{Enter}');
    await act(async () => tick());
    await waitFor(() => expect(transport.turns).toHaveLength(1), WAIT);
    const turn = transport.lastTurn;
    // The text of the live answer the window last rendered (a hidden open fence leaves no trace on screen).
    const renderedText = () => {
      const last = chat().messages.at(-1);
      return last?.id === 'live' ? last.parts.map((p) => (p.type === 'text' ? p.text : '')).join('') : '';
    };
    const live = () => document.querySelector('[data-message-id="live"]')!;
    const codeBoxes = () => live().querySelectorAll('[data-streamdown="code-block"], pre');

    await act(async () => {
      turn.start('live').text('Here it is:\n\n');
      await tick(30);
    });
    await waitFor(() => expect(document.querySelector('[data-message-id="live"]')?.textContent).toContain('Here it is:'), WAIT);
    let sent = 'Here it is:\n\n';
    for (const delta of ['```', 'ts', '\n']) {
      await act(async () => {
        turn.text(delta);
        await tick(30);
      });
      sent += delta;
      // The window has rendered the answer with this token…
      await waitFor(() => expect(renderedText()).toBe(sent), WAIT);
      // …and with the fence open and no code: the text before it stays, and no empty box is drawn.
      expect(codeBoxes()).toHaveLength(0);
      expect(live().textContent).toContain('Here it is:');
      expect(live().textContent).not.toContain('```');
    }
    await act(async () => {
      turn.text('const answer = 42;');
      await tick(30);
    });
    await waitFor(() => expect(codeBoxes().length).toBeGreaterThan(0), WAIT);
    await waitFor(() => expect(live().querySelector('[data-streamdown="code-block"]')?.textContent).toContain('const answer = 42;'), WAIT);

    // Closed and settled: the block stays, with its code.
    await act(async () => {
      turn.text('\n```\n\nDone.').finish();
      await tick(30);
    });
    await waitFor(() => expect(document.querySelector('[data-message-id="live"]')?.textContent).toContain('Done.'), WAIT);
    await waitFor(() => expect(chat().status).toBe('ready'), WAIT);
    expect(document.querySelector('[data-message-id="live"] [data-streamdown="code-block"]')?.textContent).toContain('const answer = 42;');
  });
});

describe('withoutEmptyOpenFence', () => {
  it('drops only a fence that is open and holds no code yet', () => {
    expect(withoutEmptyOpenFence('Intro\n\n```')).toBe('Intro');
    expect(withoutEmptyOpenFence('Intro\n\n```py')).toBe('Intro');
    expect(withoutEmptyOpenFence('Intro\n\n~~~\n  ')).toBe('Intro');
    expect(withoutEmptyOpenFence('```ts\n')).toBe('');
  });

  it('leaves text with code in the open fence, closed fences and no fences alone', () => {
    const cases = [
      'Intro\n\n```ts\nconst a',
      'Intro\n\n```ts\nconst a = 1;\n```\n\nAfter',
      'Plain text with `inline` code',
      // A shorter or different marker does not close a longer fence, so the block still has code.
      '````md\n```\ninner\n```\n',
    ];
    for (const text of cases) expect(withoutEmptyOpenFence(text)).toBe(text);
  });

  it('finds the fence that is open after closed ones', () => {
    expect(withoutEmptyOpenFence('```\na\n```\n\nNext:\n\n~~~sh')).toBe('```\na\n```\n\nNext:');
  });
});
