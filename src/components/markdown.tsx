import { memo, useMemo } from 'react';
import { Streamdown } from 'streamdown';
import { useCodeHighlighter } from './code-highlighter.js';

export interface MarkdownProps {
  text: string;
  /** The text is still growing: unterminated syntax is completed for display instead of flashing raw. */
  streaming: boolean;
  /** Highlight fenced code (loads the highlighter on first code block). */
  highlightCode: boolean;
}

const FENCE = /(^|\n)\s*(```|~~~)/;

/** Streamdown renders bold as a styled `<span>`; keep the semantics for assistive tech. */
const components = {
  strong: ({ children }: { children?: React.ReactNode }) => <strong>{children}</strong>,
};

/**
 * Streaming-safe markdown through `streamdown`: half-written `**bold` or an open code fence render
 * as their finished form, never as raw syntax that flickers away on the next token.
 */
export const Markdown = memo(function Markdown({ text, streaming, highlightCode }: MarkdownProps) {
  const hasCode = highlightCode && FENCE.test(text);
  const code = useCodeHighlighter(hasCode);
  const plugins = useMemo(() => (code ? { code } : undefined), [code]);
  return (
    <div className="csk-markdown" data-slot="markdown">
      <Streamdown
        mode={streaming ? 'streaming' : 'static'}
        isAnimating={streaming}
        parseIncompleteMarkdown
        plugins={plugins}
        controls={{ code: { copy: true, download: false }, table: false, mermaid: false, image: false }}
        lineNumbers={false}
        components={components}
      >
        {text}
      </Streamdown>
    </div>
  );
});
