import { memo } from 'react';
import { isToolUIPart, type DataUIPart, type UIDataTypes, type UIMessage } from 'ai';
import { useChatWindowActions } from './chat-window-context.js';
import type { ChatLabels } from './labels.js';
import { Markdown } from './markdown.js';
import { Reasoning } from './reasoning.js';
import { ToolPartView } from './tool-card.js';
import { Thinking } from './thinking-row.js';
import { safeImageUrl, safeLinkUrl } from './safe-url.js';

type Part = UIMessage['parts'][number];

/** True if any part draws something: text, reasoning, a tool call, a file or a source. */
export function hasVisibleContent(message: UIMessage): boolean {
  return message.parts.some(
    (p) =>
      ((p.type === 'text' || p.type === 'reasoning') && p.text.length > 0) ||
      isToolUIPart(p) ||
      p.type === 'file' ||
      p.type === 'source-url' ||
      p.type === 'source-document' ||
      p.type.startsWith('data-'),
  );
}

export interface MessagePartsProps {
  message: UIMessage;
  streaming: boolean;
  labels: ChatLabels;
  highlightCode: boolean;
}

function FilePart({ part }: { part: Extract<Part, { type: 'file' }> }) {
  const name = part.filename ?? part.mediaType;
  if (part.mediaType.startsWith('image/')) {
    const src = safeImageUrl(part.url);
    if (src) return <img className="csk-file-image" src={src} alt={part.filename ?? ''} />;
  } else {
    const href = safeLinkUrl(part.url);
    if (href) {
      return (
        <a className="csk-file" href={href} download={part.filename} rel="noreferrer noopener">
          {name}
        </a>
      );
    }
  }
  // A URL that is not safe to open is shown as text, never as a live link.
  return <span className="csk-file" data-unsafe-url="">{name}</span>;
}

function SourcePart({ part }: { part: Extract<Part, { type: 'source-url' }> }) {
  const href = safeLinkUrl(part.url);
  const text = part.title ?? part.url;
  if (!href) return <span className="csk-source" data-unsafe-url="">{text}</span>;
  return (
    <a className="csk-source" href={href} rel="noreferrer noopener" target="_blank">
      {text}
    </a>
  );
}

/**
 * The parts of one message: text as markdown (assistant) or as typed (user), reasoning, tool
 * calls (the app's renderer per tool name, or the built-in card), files and sources with only
 * safe URLs live, `data-*` parts through the app's `renderDataPart`. A streaming answer with
 * nothing to show yet shows "Thinking…".
 */
export const MessageParts = memo(function MessageParts({ message, streaming, labels, highlightCode }: MessagePartsProps) {
  const { renderDataPart } = useChatWindowActions('ChatWindow.Message');
  if (streaming && !hasVisibleContent(message)) return <Thinking text={labels.thinking} />;
  return (
    <>
      {message.parts.map((part: Part, index) => {
        const key = `${message.id}-${index}`;
        const partStreaming = streaming && index === message.parts.length - 1;
        if (part.type === 'text') {
          if (message.role === 'user') return <p key={key} className="csk-user-text">{part.text}</p>;
          return <Markdown key={key} text={part.text} streaming={partStreaming} highlightCode={highlightCode} codeLabel={labels.codeBlock} />;
        }
        if (part.type === 'reasoning') return <Reasoning key={key} part={part} timingKey={key} />;
        if (isToolUIPart(part)) return <ToolPartView key={key} part={part} message={message} />;
        if (part.type === 'file') return <FilePart key={key} part={part} />;
        if (part.type === 'source-url') return <SourcePart key={key} part={part} />;
        if (part.type.startsWith('data-') && renderDataPart) {
          const node = renderDataPart(part as DataUIPart<UIDataTypes>, message);
          return node == null ? null : <div key={key} className="csk-data-part" data-slot="data-part" data-type={part.type}>{node}</div>;
        }
        return null;
      })}
    </>
  );
});
