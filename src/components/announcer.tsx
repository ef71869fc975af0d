import { useEffect, useRef, useState } from 'react';
import { useChatWindowActions, useChatWindowChat } from './chat-window-context.js';

/**
 * One polite announcement when a response starts and one when it ends, instead of a live region
 * that reads every token. A dropped connection is the banner's news, not an end.
 */
export function ChatWindowAnnouncer() {
  const chat = useChatWindowChat('ChatWindow.Announcer');
  const { labels, consumeStop } = useChatWindowActions('ChatWindow.Announcer');
  const [text, setText] = useState('');
  const wasStreaming = useRef(chat.isStreaming);
  useEffect(() => {
    if (chat.isStreaming === wasStreaming.current) return;
    if (chat.isStreaming) {
      consumeStop(); // a stop pressed after the previous end must not mark this response
      setText(labels.responseStarted);
    } else if (chat.errorKind === 'network') {
      return; // keep wasStreaming: the resumed stream's end is this response's end
    } else if (chat.status === 'error') setText(labels.responseFailed);
    else if (consumeStop() || chat.generation.status === 'aborted') setText(labels.responseStopped);
    else setText(labels.responseFinished);
    wasStreaming.current = chat.isStreaming;
  }, [chat.isStreaming, chat.status, chat.errorKind, chat.generation.status, labels, consumeStop]);
  return (
    <div role="status" aria-live="polite" aria-atomic="true" data-slot="announcer" className="csk-visually-hidden">
      {text}
    </div>
  );
}
