import { memo } from 'react';
import { getToolName, isToolUIPart, type DynamicToolUIPart, type ToolUIPart, type UIMessage } from 'ai';
import type { ChatLabels } from './labels.js';
import { Markdown } from './markdown.js';

type Part = UIMessage['parts'][number];

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, null, 2) ?? '';
  } catch {
    return String(value);
  }
}

function ToolPart({ part, labels }: { part: ToolUIPart | DynamicToolUIPart; labels: ChatLabels }) {
  const name = getToolName(part);
  const stateLabel = labels.toolStates[part.state] ?? part.state;
  return (
    <div className="csk-tool" data-slot="tool" data-state={part.state}>
      <p className="csk-tool-title">
        <span className="csk-tool-name">{labels.tool(name)}</span>
        <span className="csk-tool-state">{stateLabel}</span>
      </p>
      {part.input !== undefined && (
        <details className="csk-tool-section">
          <summary>{labels.toolInput}</summary>
          <pre>{stringify(part.input)}</pre>
        </details>
      )}
      {part.state === 'output-available' && (
        <details className="csk-tool-section">
          <summary>{labels.toolOutput}</summary>
          <pre>{stringify(part.output)}</pre>
        </details>
      )}
      {part.state === 'output-error' && <p className="csk-tool-error">{part.errorText}</p>}
    </div>
  );
}

export interface MessagePartsProps {
  message: UIMessage;
  streaming: boolean;
  labels: ChatLabels;
  highlightCode: boolean;
}

/**
 * The parts of one message, each shown plainly: text as markdown (assistant) or as typed (user),
 * reasoning in a disclosure that is open while it streams, tool calls with their state and data.
 */
export const MessageParts = memo(function MessageParts({ message, streaming, labels, highlightCode }: MessagePartsProps) {
  return (
    <>
      {message.parts.map((part: Part, index) => {
        const key = `${message.id}-${index}`;
        const partStreaming = streaming && index === message.parts.length - 1;
        if (part.type === 'text') {
          if (message.role === 'user') return <p key={key} className="csk-user-text">{part.text}</p>;
          return <Markdown key={key} text={part.text} streaming={partStreaming} highlightCode={highlightCode} />;
        }
        if (part.type === 'reasoning') {
          return (
            <details key={key} className="csk-reasoning" data-slot="reasoning" data-state={part.state ?? 'done'} open={part.state === 'streaming' || undefined}>
              <summary>{labels.reasoning}</summary>
              <p className="csk-reasoning-text">{part.text}</p>
            </details>
          );
        }
        if (isToolUIPart(part)) {
          return <ToolPart key={key} part={part} labels={labels} />;
        }
        if (part.type === 'file') {
          return part.mediaType.startsWith('image/') ? (
            <img key={key} className="csk-file-image" src={part.url} alt={part.filename ?? ''} />
          ) : (
            <a key={key} className="csk-file" href={part.url} download={part.filename}>
              {part.filename ?? part.url}
            </a>
          );
        }
        if (part.type === 'source-url') {
          return (
            <a key={key} className="csk-source" href={part.url} rel="noreferrer noopener" target="_blank">
              {part.title ?? part.url}
            </a>
          );
        }
        return null;
      })}
    </>
  );
});
