/**
 * A stored answer as the chunks that build it again. When a finished turn's retained `complete` is
 * gone (a whole cluster restarted, a broker without persistence, a resume after the replay grace),
 * the worker's turn lookup still carries the answer as the chat store keeps it: replaying it as
 * chunks lets `reconnectToStream` hand `useChat` the whole answer instead of nothing. Text and
 * reasoning come as one delta each; tool calls as their final state (input, approval, output).
 */
import type { UIMessage, UIMessageChunk } from 'ai';

/** How the turn ended, as the lookup says. */
export interface StoredOutcome {
  finalState: 'done' | 'error' | 'aborted';
  error?: string;
}

type Part = UIMessage['parts'][number];
type ToolPart = Extract<Part, { toolCallId: string }>;

/** The chunks that rebuild `message`, then the turn's end (`finish`, `error` or `abort`). */
export function chunksOfStoredAnswer(message: UIMessage, outcome: StoredOutcome): UIMessageChunk[] {
  const chunks: UIMessageChunk[] = [{ type: 'start', messageId: message.id, ...(message.metadata !== undefined ? { messageMetadata: message.metadata } : {}) }];
  let stepOpen = false;
  message.parts.forEach((part, index) => {
    const id = `${message.id}-${index}`;
    if (part.type === 'step-start') {
      if (stepOpen) chunks.push({ type: 'finish-step' });
      chunks.push({ type: 'start-step' });
      stepOpen = true;
    } else if (part.type === 'text') {
      chunks.push({ type: 'text-start', id }, { type: 'text-delta', id, delta: part.text }, { type: 'text-end', id });
    } else if (part.type === 'reasoning') {
      chunks.push({ type: 'reasoning-start', id }, { type: 'reasoning-delta', id, delta: part.text }, { type: 'reasoning-end', id });
    } else if (part.type === 'source-url') {
      chunks.push({ type: 'source-url', sourceId: part.sourceId, url: part.url, ...(part.title !== undefined ? { title: part.title } : {}) });
    } else if (part.type === 'source-document') {
      chunks.push({ type: 'source-document', sourceId: part.sourceId, mediaType: part.mediaType, title: part.title, ...(part.filename !== undefined ? { filename: part.filename } : {}) });
    } else if (part.type === 'file') {
      chunks.push({ type: 'file', url: part.url, mediaType: part.mediaType });
    } else if (part.type.startsWith('data-')) {
      chunks.push(part as UIMessageChunk);
    } else if ('toolCallId' in part) {
      chunks.push(...toolChunks(part as ToolPart));
    }
    // Anything else (a part type this version does not know) has no chunk to come from.
  });
  if (stepOpen) chunks.push({ type: 'finish-step' });
  if (outcome.finalState === 'done') chunks.push({ type: 'finish' });
  else if (outcome.finalState === 'aborted') chunks.push({ type: 'abort' });
  else chunks.push({ type: 'error', errorText: outcome.error ?? 'The turn failed.' });
  return chunks;
}

/** A tool call's chunks up to the state it was stored in. */
function toolChunks(part: ToolPart): UIMessageChunk[] {
  const dynamic = part.type === 'dynamic-tool';
  const toolName = dynamic ? (part as { toolName: string }).toolName : part.type.slice('tool-'.length);
  const { toolCallId } = part;
  const common = { toolCallId, toolName, ...(dynamic ? { dynamic: true } : {}), ...(part.providerExecuted !== undefined ? { providerExecuted: part.providerExecuted } : {}) };
  const state = part.state as string;
  if (state === 'input-streaming') return [{ type: 'tool-input-start', ...common }];
  if (state === 'output-error' && part.input === undefined) return [{ type: 'tool-input-error', ...common, input: (part as { rawInput?: unknown }).rawInput, errorText: part.errorText ?? '' }];
  const chunks: UIMessageChunk[] = [{ type: 'tool-input-available', ...common, input: part.input }];
  const approval = (part as { approval?: { id: string; approved?: boolean; reason?: string } }).approval;
  if (approval) {
    chunks.push({ type: 'tool-approval-request', approvalId: approval.id, toolCallId });
    if (approval.approved !== undefined) chunks.push({ type: 'tool-approval-response', approvalId: approval.id, approved: approval.approved, ...(approval.reason !== undefined ? { reason: approval.reason } : {}) });
  }
  if (state === 'output-available') chunks.push({ type: 'tool-output-available', toolCallId, output: part.output, ...(dynamic ? { dynamic: true } : {}) });
  else if (state === 'output-error') chunks.push({ type: 'tool-output-error', toolCallId, errorText: part.errorText ?? '', ...(dynamic ? { dynamic: true } : {}) });
  else if (state === 'output-denied') chunks.push({ type: 'tool-output-denied', toolCallId });
  return chunks;
}
