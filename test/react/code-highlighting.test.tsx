import { describe, expect, it } from 'vitest';
import { render, waitFor } from '@testing-library/react';
import { codeHighlighterStatus } from '../../src/components/code-highlighter.js';
import { WAIT, assistantMessage, tick, userMessage } from './fake-transport.js';
import { createHarness } from './harness.js';

describe('lazy code highlighting', () => {
  it('is not loaded for a thread without code, and is loaded and applied once a code block appears', async () => {
    const plain = createHarness([userMessage('u1', 'hi'), assistantMessage('a1', 'Just **text**, no code.')]);
    const first = render(<plain.App />);
    await tick(50);
    // The answer's markdown has rendered, and nothing asked for the highlighter.
    await waitFor(() => expect(first.container.querySelector('[data-message-id="a1"] strong')?.textContent).toBe('text'), WAIT);
    expect(codeHighlighterStatus()).toBe('idle');
    first.unmount();

    const withCode = createHarness([userMessage('u1', 'code?'), assistantMessage('a1', 'Here:\n\n```ts\nconst answer: number = 42;\n```\n')]);
    const { container } = render(<withCode.App />);
    // Before the highlighter arrives the code is already readable as plain text.
    expect(container.textContent).toContain('const answer: number = 42;');
    expect(codeHighlighterStatus()).not.toBe('idle');
    await waitFor(() => expect(codeHighlighterStatus()).toBe('loaded'), { timeout: 20_000 });
    // Highlighted tokens carry their own colours.
    await waitFor(() => expect(container.querySelector('[data-streamdown="code-block"] code span[style*="--sdm-c: #"]')).not.toBeNull(), { timeout: 20_000 });
    expect(container.textContent).toContain('const answer: number = 42;');
  });
});
