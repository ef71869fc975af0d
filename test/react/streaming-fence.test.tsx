/**
 * D13: when a code fence opens in a streaming answer, the row must not draw an empty code box
 * that the next token reshapes (the row hopped ~211 px for a frame). The box appears with code.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { withoutEmptyOpenFence } from '../../src/components/streaming-fence.js';
import { tick } from './fake-transport.js';
import { createHarness } from './harness.js';

describe('an opening code fence in a streaming answer (D13)', () => {
  beforeAll(() => {
    // Streamdown keeps a growing code block scrolled to its end; jsdom has no element scrolling.
    Element.prototype.scrollTo ??= function scrollTo() {};
  });

  it('draws no code box until the fence has code, then draws it with the code', async () => {
    const { App, transport } = createHarness();
    render(<App highlightCode={false} />);
    const user = userEvent.setup();
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'show code{Enter}');
    await act(async () => tick());
    const turn = transport.lastTurn;
    const live = () => document.querySelector('[data-message-id="live"]')!;
    const codeBoxes = () => live().querySelectorAll('[data-streamdown="code-block"], pre');

    await act(async () => {
      turn.start('live').text('Here it is:\n\n');
      await tick(30);
    });
    expect(live().textContent).toContain('Here it is:');
    for (const delta of ['```', 'ts', '\n']) {
      await act(async () => {
        turn.text(delta);
        await tick(30);
      });
      // Open fence, no code: the text before it stays, and no empty box is drawn.
      expect(codeBoxes()).toHaveLength(0);
      expect(live().textContent).toContain('Here it is:');
      expect(live().textContent).not.toContain('```');
    }
    await act(async () => {
      turn.text('const answer = 42;');
      await tick(30);
    });
    expect(codeBoxes().length).toBeGreaterThan(0);
    expect(live().querySelector('[data-streamdown="code-block"]')?.textContent).toContain('const answer = 42;');

    // Closed and settled: the block stays, with its code.
    await act(async () => {
      turn.text('\n```\n\nDone.').finish();
      await tick(30);
    });
    expect(document.querySelector('[data-message-id="live"] [data-streamdown="code-block"]')?.textContent).toContain('const answer = 42;');
    expect(document.querySelector('[data-message-id="live"]')?.textContent).toContain('Done.');
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
