import { Fragment, memo, useLayoutEffect, useMemo, useRef } from 'react';
import { Streamdown } from 'streamdown';
import { useCodeHighlighter } from './code-highlighter.js';
import { withoutEmptyOpenFence } from './streaming-fence.js';
import { streamingSegments } from './streaming-segments.js';

export interface MarkdownProps {
  text: string;
  /** The text is still growing: unterminated syntax is completed for display instead of flashing raw. */
  streaming: boolean;
  /** Highlight fenced code (loads the highlighter on first code block). */
  highlightCode: boolean;
  /** Accessible name of a code block from its language (`labels.codeBlock`). */
  codeLabel?: (language: string) => string;
}

const FENCE = /(^|\n)\s*(```|~~~)/;
const defaultCodeLabel = (language: string) => (language ? `Code, ${language}` : 'Code');

/**
 * Code colours for light and dark. The high-contrast GitHub themes keep every token at 4.5:1 or
 * more on the code background; Streamdown's default `github-light` does not (keywords 4.2:1,
 * parameters 3.2:1, comments 4.4:1), and axe reports it.
 */
const SHIKI_THEMES: ['github-light-high-contrast', 'github-dark-high-contrast'] = ['github-light-high-contrast', 'github-dark-high-contrast'];

/** Streamdown renders bold as a styled `<span>`; keep the semantics for assistive tech. */
const components = {
  strong: ({ children }: { children?: React.ReactNode }) => <strong>{children}</strong>,
};

const CONTROLS = { code: { copy: true, download: false }, table: false, mermaid: false, image: false } as const;

type CodePlugins = { code: NonNullable<ReturnType<typeof useCodeHighlighter>> } | undefined;

/** One Streamdown render of one piece of the answer; memoized, so a finished piece is never parsed again. */
const MarkdownPiece = memo(function MarkdownPiece({ text, streaming, plugins }: { text: string; streaming: boolean; plugins: CodePlugins }) {
  return (
    <Streamdown
      mode={streaming ? 'streaming' : 'static'}
      isAnimating={streaming}
      parseIncompleteMarkdown
      plugins={plugins}
      controls={CONTROLS}
      lineNumbers={false}
      shikiTheme={SHIKI_THEMES}
      components={components}
    >
      {text}
    </Streamdown>
  );
});

/**
 * Streaming-safe markdown through `streamdown`: half-written `**bold` or an open code fence render
 * as their finished form, never as raw syntax that flickers away on the next token. While an
 * answer streams, a long last paragraph is parsed in runs (see `streamingSegments`), so a token
 * costs the same at the end of a long answer as at its start.
 */
export const Markdown = memo(function Markdown({ text, streaming, highlightCode, codeLabel = defaultCodeLabel }: MarkdownProps) {
  const hasCode = FENCE.test(text);
  // A fence that opened but has no code yet would draw an empty box for a frame (D13).
  const shown = streaming && hasCode ? withoutEmptyOpenFence(text) : text;
  const code = useCodeHighlighter(highlightCode && hasCode);
  const plugins = useMemo(() => (code ? { code } : undefined), [code]);
  const ref = useRef<HTMLDivElement | null>(null);
  // Streamdown draws code blocks without a way to pass attributes: a wide block scrolls sideways,
  // and a scrolling region must be reachable by keyboard and named (axe scrollable-region-focusable).
  useLayoutEffect(() => {
    if (!hasCode || !ref.current) return;
    for (const body of ref.current.querySelectorAll<HTMLElement>('[data-streamdown="code-block-body"]:not([tabindex])')) {
      body.tabIndex = 0;
      body.setAttribute('role', 'region');
      body.setAttribute('aria-label', codeLabel(body.getAttribute('data-language') ?? ''));
    }
  });
  const { head, runs, tail } = streaming ? streamingSegments(shown) : { head: '', runs: [], tail: shown };
  const live = <MarkdownPiece key="live" text={tail} streaming={streaming} plugins={plugins} />;
  return (
    <div ref={ref} className="csk-markdown" data-slot="markdown">
      {head && <MarkdownPiece key="head" text={head} streaming={false} plugins={plugins} />}
      {runs.length > 0 ? (
        // One paragraph on screen, parsed in runs: the runs' paragraphs are laid out inline.
        <div key="runs" className="csk-markdown-runs" data-slot="markdown-runs">
          {runs.map((run, index) => (
            <Fragment key={index}>
              <MarkdownPiece text={run} streaming={false} plugins={plugins} />{' '}
            </Fragment>
          ))}
          {live}
        </div>
      ) : (
        live
      )}
    </div>
  );
});
