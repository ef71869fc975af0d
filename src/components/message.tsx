import { forwardRef, memo, useContext, useEffect, useId, useRef, useState, type ComponentPropsWithoutRef, type FormEvent, type KeyboardEvent } from 'react';
import type { UIMessage } from 'ai';
import { BusyContext, useChatWindowActions } from './chat-window-context.js';
import { MessageParts, hasVisibleContent } from './message-parts.js';
import { MessageActionBar } from './message-actions.js';
import type { MessageRowState } from './message-list.js';
import { cx } from './cx.js';

/** Props of `ChatWindow.Message`: one message of the conversation. */
export interface ChatWindowMessageProps extends Omit<ComponentPropsWithoutRef<'article'>, 'children'> {
  message: UIMessage;
  /** This message is the one being streamed. */
  streaming?: boolean;
  /** Show the regenerate action (the last settled answer). */
  canRegenerate?: boolean;
  /**
   * How the message stands: `stopped` and `failed` are marked in the row, `paused` (a resume is
   * pending) and `streaming` offer no actions. Default: `streaming` if `streaming`, else `settled`.
   */
  state?: MessageRowState;
  /** Versions kept at this position by edit or regenerate; a pager shows when more than one. */
  versionCount?: number;
  versionIndex?: number;
  /** Replace the default body; the actions and attributes stay. */
  children?: React.ReactNode;
}

function plainText(message: UIMessage): string {
  return message.parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
}

const timeFormat = typeof Intl !== 'undefined' ? new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' }) : null;

function MessageTime({ value }: { value: Date | number }) {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return null;
  return (
    <time className="csk-message-time" data-slot="message-time" dateTime={date.toISOString()}>
      {timeFormat ? timeFormat.format(date) : date.toISOString()}
    </time>
  );
}

/** Inline editor of a user message: Enter sends, Shift+Enter adds a line, Escape cancels. */
function EditForm({ message, onDone }: { message: UIMessage; onDone: (sent: boolean) => void }) {
  const { labels, edit } = useChatWindowActions('ChatWindow.Message');
  const busy = useContext(BusyContext);
  const [text, setText] = useState(() => plainText(message));
  const inputRef = useRef<HTMLTextAreaElement | null>(null);
  const id = useId();
  useEffect(() => {
    const input = inputRef.current;
    if (!input) return;
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  }, []);
  const canSend = !busy && text.trim().length > 0;
  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    if (!canSend) return;
    edit(message.id, text);
    onDone(true);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      onDone(false);
    } else if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  };
  return (
    <form className="csk-edit" data-slot="message-edit-form" onSubmit={submit}>
      <label htmlFor={id} className="csk-visually-hidden">
        {labels.editInputLabel}
      </label>
      <textarea ref={inputRef} id={id} className="csk-input csk-edit-input" value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKeyDown} />
      <div className="csk-edit-actions">
        <button type="button" className="csk-button" data-slot="message-edit-cancel" onClick={() => onDone(false)}>
          {labels.editCancel}
        </button>
        <button type="submit" className="csk-button csk-button-primary" data-slot="message-edit-save" disabled={!canSend}>
          {labels.editSave}
        </button>
      </div>
    </form>
  );
}

/**
 * One message row: avatar, author and time, the parts, a mark when the answer did not finish, and
 * the action bar (copy, edit, regenerate, feedback, version pager). Memoized: settled rows keep
 * their props while a stream runs, so a token re-renders only the live row.
 */
export const ChatWindowMessage = memo(
  forwardRef<HTMLElement, ChatWindowMessageProps>(function ChatWindowMessage(
    { message, streaming = false, canRegenerate = false, state: stateProp, versionCount = 0, versionIndex = 0, children, className, ...rest },
    ref,
  ) {
    const actions = useChatWindowActions('ChatWindow.Message');
    const { labels, highlightCode, avatar, timestamp, editable = true } = actions;
    const [editing, setEditing] = useState(false);
    const editButtonRef = useRef<HTMLButtonElement | null>(null);
    const state: MessageRowState = stateProp ?? (streaming ? 'streaming' : 'settled');
    const live = state === 'streaming';
    const author = message.role === 'user' ? labels.you : message.role === 'system' ? labels.system : labels.assistant;
    const hasText = message.parts.some((p) => p.type === 'text' && p.text.length > 0);
    const empty = !live && !hasVisibleContent(message);
    const settled = state === 'settled' || state === 'stopped';
    const picture = avatar?.(message.role, message);
    const time = timestamp?.(message);
    const finishEdit = (sent: boolean) => {
      setEditing(false);
      // After Cancel, back to Edit; after Send, the composer already has focus.
      if (!sent) requestAnimationFrame(() => editButtonRef.current?.focus());
    };

    // An answer stopped before its first token is not an empty "Assistant" row, just the mark.
    if (message.role === 'assistant' && empty && state === 'stopped') {
      return (
        <article
          ref={ref}
          data-slot="message"
          data-role="assistant"
          data-state="stopped"
          data-empty=""
          data-message-id={message.id}
          className={cx('csk-message csk-message-marker', className)}
          {...rest}
        >
          <p className="csk-visually-hidden">{author}</p>
          <p className="csk-message-mark" data-slot="message-mark" data-state="stopped">
            {labels.messageStoppedEmpty}
          </p>
          <MessageActionBar message={message} canCopy={false} canRegenerate={canRegenerate} canEdit={false} versionCount={versionCount} versionIndex={versionIndex} />
        </article>
      );
    }

    const mark =
      state === 'stopped'
        ? message.role === 'user'
          ? labels.messageStoppedEmpty
          : labels.messageStopped
        : state === 'pending'
          ? labels.messagePending
          : state === 'paused'
          ? labels.messagePaused
          : state === 'failed'
            ? labels.messageInterrupted
            : null;
    return (
      <article
        ref={ref}
        data-slot="message"
        data-role={message.role}
        data-state={state}
        data-message-id={message.id}
        className={cx('csk-message', className)}
        {...rest}
      >
        {picture != null && (
          <div className="csk-avatar" data-slot="avatar">
            {picture}
          </div>
        )}
        <div className="csk-message-main">
          <p className="csk-message-meta">
            <span className="csk-message-author">{author}</span>
            {time != null && <MessageTime value={time} />}
          </p>
          {editing ? (
            <EditForm message={message} onDone={finishEdit} />
          ) : (
            <div className="csk-message-body" data-slot="message-body">
              {children ?? (
                <MessageParts message={message} streaming={live} labels={labels} highlightCode={highlightCode} />
              )}
            </div>
          )}
          {mark && (
            <p className="csk-message-mark" data-slot="message-mark" data-state={state}>
              {mark}
            </p>
          )}
          {!editing && !live && state !== 'paused' && state !== 'pending' && (
            <MessageActionBar
              message={message}
              canCopy={hasText && settled}
              canRegenerate={canRegenerate && message.role === 'assistant'}
              canEdit={editable && message.role === 'user' && hasText}
              onEdit={() => setEditing(true)}
              editButtonRef={editButtonRef}
              versionCount={versionCount}
              versionIndex={versionIndex}
            />
          )}
        </div>
      </article>
    );
  }),
);
