import { forwardRef, useCallback, useId, useState, type ComponentPropsWithoutRef, type FormEvent, type KeyboardEvent } from 'react';
import { useChatWindowActions, useChatWindowChat, useChatWindowInputRef, useChatWindowScroll } from './chat-window-context.js';
import { cx } from './cx.js';

/** Props of `ChatWindow.Composer`, the message box with Send and Stop. */
export interface ChatWindowComposerProps extends Omit<ComponentPropsWithoutRef<'form'>, 'onSubmit' | 'children'> {
  /** Called instead of `chat.sendMessage({ text })`, e.g. to attach files or metadata. */
  onSend?: (text: string) => void | Promise<void>;
  placeholder?: string;
}

/**
 * The input. Enter sends, Shift+Enter adds a line, Escape stops a streaming answer; the send
 * button becomes Stop while streaming. Sending is disabled with a visible, announced reason while
 * the connection is down (the draft stays editable). Focus returns to the input after send and stop.
 */
export const ChatWindowComposer = forwardRef<HTMLFormElement, ChatWindowComposerProps>(function ChatWindowComposer(
  { onSend, placeholder, className, ...rest },
  ref,
) {
  const chat = useChatWindowChat('ChatWindow.Composer');
  const { labels, stop, focusInput } = useChatWindowActions('ChatWindow.Composer');
  const { scrollToBottom } = useChatWindowScroll('ChatWindow.Composer');
  const inputRef = useChatWindowInputRef('ChatWindow.Composer');
  const [text, setText] = useState('');
  const hintId = useId();
  const reasonId = useId();
  const inputId = useId();

  const down = chat.connection.status === 'offline' || chat.connection.status === 'reconnecting' || chat.connection.status === 'error';
  const reason = !down ? null : chat.connection.status === 'error' ? labels.connectionErrorReason : labels.offlineReason;
  const canSend = !down && !chat.isStreaming && text.trim().length > 0;

  const send = useCallback(() => {
    if (!canSend) return;
    const value = text;
    setText('');
    // The user wants to see their message and its answer: follow again.
    scrollToBottom('instant');
    void (onSend ? onSend(value) : chat.sendMessage({ text: value }));
    focusInput();
  }, [canSend, text, onSend, chat.sendMessage, scrollToBottom, focusInput]);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    send();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    } else if (event.key === 'Escape' && chat.isStreaming) {
      event.preventDefault();
      stop();
    }
  };

  return (
    <form
      ref={ref}
      data-slot="composer"
      data-state={chat.isStreaming ? 'streaming' : down ? 'disabled' : 'idle'}
      className={cx('csk-composer', className)}
      onSubmit={onSubmit}
      {...rest}
    >
      <label htmlFor={inputId} className="csk-visually-hidden">
        {labels.inputLabel}
      </label>
      <textarea
        ref={inputRef}
        id={inputId}
        className="csk-input"
        data-slot="composer-input"
        rows={1}
        value={text}
        placeholder={placeholder ?? labels.inputPlaceholder}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={onKeyDown}
        aria-describedby={reason ? `${reasonId} ${hintId}` : hintId}
      />
      <p id={hintId} className="csk-visually-hidden">
        {labels.composerHint}
      </p>
      {reason && (
        <p id={reasonId} className="csk-composer-reason" data-slot="composer-reason">
          {reason}
        </p>
      )}
      {chat.isStreaming ? (
        <button type="button" className="csk-button csk-button-stop" data-slot="composer-stop" onClick={stop}>
          {labels.stop}
        </button>
      ) : (
        <button
          type="submit"
          className="csk-button csk-button-primary"
          data-slot="composer-send"
          disabled={!canSend}
          aria-describedby={reason ? reasonId : undefined}
        >
          {labels.send}
        </button>
      )}
    </form>
  );
});
