import { memo } from 'react';
import type { ReasoningUIPart } from 'ai';
import { useChatWindowActions } from './chat-window-context.js';
import { observePartTiming } from './part-timing.js';

/**
 * The model's reasoning: open with a shimmering "Thinking…" while it streams, then collapsed
 * under "Thought for N s" (the user can open it again).
 */
export const Reasoning = memo(function Reasoning({ part, timingKey }: { part: ReasoningUIPart; timingKey: string }) {
  const { labels } = useChatWindowActions('ChatWindow.Message');
  const streaming = part.state === 'streaming';
  const ms = observePartTiming(`reasoning:${timingKey}`, streaming);
  return (
    <details className="csk-reasoning" data-slot="reasoning" data-state={streaming ? 'streaming' : 'done'} open={streaming || undefined}>
      <summary>
        {streaming ? <span className="csk-shimmer">{labels.reasoningStreaming}</span> : labels.reasoningDone(ms === null ? null : Math.round(ms / 1000))}
      </summary>
      <p className="csk-reasoning-text">{part.text}</p>
    </details>
  );
});
