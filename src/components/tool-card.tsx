import { memo } from 'react';
import { getToolName, type UIMessage } from 'ai';
import { useChatWindowActions, type ToolPart, type ToolRenderProps } from './chat-window-context.js';
import { observePartTiming } from './part-timing.js';
import { ToolIcon } from './icons.js';

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, null, 2) ?? '';
  } catch {
    return String(value);
  }
}

const RUNNING = new Set(['input-streaming', 'input-available', 'approval-responded']);

function iconState(state: ToolPart['state']): 'running' | 'done' | 'error' | 'waiting' {
  if (state === 'output-available') return 'done';
  if (state === 'output-error' || state === 'output-denied') return 'error';
  if (state === 'approval-requested') return 'waiting';
  return 'running';
}

/**
 * The built-in card of one tool call: name, state (icon and words), how long it ran, input and
 * output as formatted JSON in disclosures, the error text, and Approve / Deny while the call
 * waits for approval.
 */
export const ToolCard = memo(function ToolCard({ part, respond }: { part: ToolPart; respond: (approved: boolean) => void }) {
  const { labels } = useChatWindowActions('ChatWindow.Message');
  const name = getToolName(part);
  const stateLabel = labels.toolStates[part.state] ?? part.state;
  const duration = observePartTiming(`tool:${part.toolCallId}`, RUNNING.has(part.state));
  const waiting = part.state === 'approval-requested';
  return (
    <div className="csk-tool" data-slot="tool" data-state={part.state} data-tool={name}>
      <p className="csk-tool-title">
        <span className="csk-tool-icon" data-state={iconState(part.state)}>
          <ToolIcon state={iconState(part.state)} />
        </span>
        <span className="csk-tool-name">{labels.tool(name)}</span>
        <span className="csk-tool-state">{stateLabel}</span>
        {duration !== null && <span className="csk-tool-duration">{labels.toolDuration(duration)}</span>}
      </p>
      {part.input !== undefined && (
        <details className="csk-tool-section">
          <summary>{labels.toolInput}</summary>
          <pre tabIndex={0} aria-label={labels.toolInput}>{stringify(part.input)}</pre>
        </details>
      )}
      {part.state === 'output-available' && (
        <details className="csk-tool-section">
          <summary>{labels.toolOutput}</summary>
          <pre tabIndex={0} aria-label={labels.toolOutput}>{stringify(part.output)}</pre>
        </details>
      )}
      {part.state === 'output-error' && <p className="csk-tool-error">{part.errorText}</p>}
      {waiting && (
        <div className="csk-tool-approval" data-slot="tool-approval">
          <button type="button" className="csk-button csk-button-primary" data-slot="tool-approve" onClick={() => respond(true)}>
            {labels.toolApprove}
          </button>
          <button type="button" className="csk-button" data-slot="tool-deny" onClick={() => respond(false)}>
            {labels.toolDeny}
          </button>
        </div>
      )}
    </div>
  );
});

/** The app's renderer for this call if it has one (by name or as a function), else the card. */
export function ToolPartView({ part, message }: { part: ToolPart; message: UIMessage }) {
  const { renderTool, respondToApproval } = useChatWindowActions('ChatWindow.Message');
  const approvalId = part.approval?.id;
  const respond = (approved: boolean, reason?: string) => {
    if (approvalId) respondToApproval(approvalId, approved, reason);
  };
  const fallback = <ToolCard part={part} respond={respond} />;
  if (!renderTool) return fallback;
  const name = getToolName(part);
  const props: ToolRenderProps = { part, name, message, respond, fallback };
  const custom = typeof renderTool === 'function' ? renderTool(props) : renderTool[name]?.(props);
  return <>{custom === undefined ? fallback : custom}</>;
}
