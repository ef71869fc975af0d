import {
  forwardRef,
  useCallback,
  useEffect,
  useId,
  useLayoutEffect,
  useRef,
  useState,
  type ClipboardEvent,
  type ComponentPropsWithoutRef,
  type DragEvent,
  type FormEvent,
  type KeyboardEvent,
} from 'react';
import type { FileUIPart } from 'ai';
import { useChatWindowActions, useChatWindowChat, useChatWindowInputRef, useChatWindowScroll } from './chat-window-context.js';
import { DEFAULT_MAX_ATTACHMENT_BYTES, attachmentBytes, formatBytes, readAttachment, type Attachment } from './attachments.js';
import { CloseIcon, PaperclipIcon } from './icons.js';
import { cx } from './cx.js';

/** Props of `ChatWindow.Composer`, the message box with Send and Stop. */
export interface ChatWindowComposerProps extends Omit<ComponentPropsWithoutRef<'form'>, 'onSubmit' | 'children'> {
  /** Called instead of `chat.sendMessage({ text, files })`, e.g. to add metadata. */
  onSend?: (text: string, files: FileUIPart[]) => void | Promise<void>;
  placeholder?: string;
  /** Offer the attach button, drag and drop and paste of files. Default true. */
  attachments?: boolean;
  /**
   * Largest total of attachments per message, in encoded bytes (files travel as data URLs).
   * Default {@link DEFAULT_MAX_ATTACHMENT_BYTES}: the worker's default request limit minus headroom.
   */
  maxAttachmentBytes?: number;
  /** `accept` of the file picker, e.g. `"image/*,.pdf"`. */
  accept?: string;
  /**
   * What Send does while the connection is down. `"disable"` (default) keeps the draft and says
   * why; `"queue"` lets the app's offline queue take the message and says it will be sent later.
   */
  offlineSend?: 'disable' | 'queue';
}

/**
 * The input. Enter sends, Shift+Enter adds a line, Escape stops a streaming answer. Send and Stop
 * are two different buttons: Stop is never a submit button, and a click that began on Stop can
 * never send, even when the answer ends under the pointer. Enter while an answer streams says why
 * nothing was sent. Focus returns to the input after send and stop, and when Stop disappears
 * while focused. Files can be attached by button, drag and drop or paste, within a size budget
 * checked before anything is sent.
 */
export const ChatWindowComposer = forwardRef<HTMLFormElement, ChatWindowComposerProps>(function ChatWindowComposer(
  { onSend, placeholder, attachments: attachmentsEnabled = true, maxAttachmentBytes = DEFAULT_MAX_ATTACHMENT_BYTES, accept, offlineSend = 'disable', className, ...rest },
  ref,
) {
  const chat = useChatWindowChat('ChatWindow.Composer');
  const { labels, stop, focusInput, returnToLatest } = useChatWindowActions('ChatWindow.Composer');
  const { scrollToBottom } = useChatWindowScroll('ChatWindow.Composer');
  const inputRef = useChatWindowInputRef('ChatWindow.Composer');
  const [text, setText] = useState('');
  const [files, setFiles] = useState<readonly Attachment[]>([]);
  const [fileError, setFileError] = useState<string | null>(null);
  const [busyHint, setBusyHint] = useState(false);
  const [dragging, setDragging] = useState(false);
  const hintId = useId();
  const reasonId = useId();
  const inputId = useId();
  const fileInputRef = useRef<HTMLInputElement | null>(null);
  const sendRef = useRef<HTMLButtonElement | null>(null);
  // Did the pointer press that ends in this click start on Send? (See onSendClick.)
  const pressStartedOnSend = useRef(false);

  const { status } = chat.connection;
  const down = status === 'offline' || status === 'reconnecting' || status === 'error';
  const queued = down && offlineSend === 'queue' && status !== 'error';
  const reason = !down ? null : status === 'error' ? labels.connectionErrorReason : queued ? labels.offlineReasonQueued : labels.offlineReason;
  const hasContent = text.trim().length > 0 || files.length > 0;
  const canSend = (!down || queued) && !chat.isStreaming && hasContent;

  useEffect(() => {
    if (!chat.isStreaming) setBusyHint(false);
  }, [chat.isStreaming]);

  const send = useCallback(() => {
    if (!canSend) return;
    const total = attachmentBytes(files);
    if (total > maxAttachmentBytes) {
      setFileError(labels.attachmentsTooLarge(formatBytes(maxAttachmentBytes)));
      return;
    }
    const value = text;
    const parts = files.map((f) => f.part);
    setText('');
    setFiles([]);
    setFileError(null);
    // The user wants to see their message and its answer: follow again. A new prompt continues
    // the stored conversation, so an older version on screen gives way to the newest first.
    returnToLatest();
    scrollToBottom('instant');
    if (onSend) void onSend(value, parts);
    else if (parts.length > 0) void chat.sendMessage(value.trim() ? { text: value, files: parts } : { files: parts });
    else void chat.sendMessage({ text: value });
    focusInput();
  }, [canSend, files, maxAttachmentBytes, labels, text, onSend, chat.sendMessage, scrollToBottom, focusInput, returnToLatest]);

  const addFiles = useCallback(
    async (list: FileList | readonly File[]) => {
      const incoming = [...list];
      if (incoming.length === 0) return;
      const accepted: Attachment[] = [];
      let error: string | null = null;
      for (const file of incoming) {
        // Reject by the encoded size before reading, so a huge file is never loaded.
        if (Math.ceil(file.size / 3) * 4 > maxAttachmentBytes) {
          error = labels.attachmentTooLarge(file.name, formatBytes(maxAttachmentBytes));
          continue;
        }
        try {
          accepted.push(await readAttachment(file));
        } catch (e) {
          error = e instanceof Error ? e.message : String(e);
        }
      }
      setFileError(error);
      if (accepted.length > 0) setFiles((current) => [...current, ...accepted]);
    },
    [labels, maxAttachmentBytes],
  );

  const removeFile = (id: string) => {
    setFiles((current) => current.filter((f) => f.id !== id));
    setFileError(null);
    focusInput();
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    send();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      if (chat.isStreaming) setBusyHint(true);
      else send();
    } else if (event.key === 'Escape' && chat.isStreaming) {
      event.preventDefault();
      stop();
    }
  };

  const onPaste = (event: ClipboardEvent<HTMLTextAreaElement>) => {
    if (!attachmentsEnabled) return;
    const pasted = event.clipboardData?.files;
    if (pasted && pasted.length > 0) {
      event.preventDefault();
      void addFiles(pasted);
    }
  };

  const dropProps = attachmentsEnabled
    ? {
        onDragOver: (event: DragEvent) => {
          if (!event.dataTransfer?.types?.includes('Files')) return;
          event.preventDefault();
          setDragging(true);
        },
        onDragLeave: (event: DragEvent) => {
          if (event.currentTarget.contains(event.relatedTarget as Node | null)) return;
          setDragging(false);
        },
        onDrop: (event: DragEvent) => {
          setDragging(false);
          const dropped = event.dataTransfer?.files;
          if (!dropped || dropped.length === 0) return;
          event.preventDefault();
          void addFiles(dropped);
          focusInput();
        },
      }
    : {};

  /**
   * A pointer click counts only if the press began on Send. When an answer ends while the user
   * presses Stop, Send takes Stop's place under the pointer; the release must not send the draft.
   * Keyboard clicks (`detail === 0`) come from Enter or Space on Send itself.
   */
  const onSendClick = (event: React.MouseEvent<HTMLButtonElement>) => {
    const fromPointer = event.detail > 0;
    if (fromPointer && !pressStartedOnSend.current) event.preventDefault();
    pressStartedOnSend.current = false;
  };

  const describedBy = [reason ? reasonId : null, hintId].filter(Boolean).join(' ');
  return (
    <form
      ref={ref}
      data-slot="composer"
      data-state={chat.isStreaming ? 'streaming' : down && !queued ? 'disabled' : 'idle'}
      data-dragging={dragging || undefined}
      className={cx('csk-composer', className)}
      onSubmit={onSubmit}
      onPointerDownCapture={(event) => {
        pressStartedOnSend.current = sendRef.current !== null && sendRef.current.contains(event.target as Node);
      }}
      {...dropProps}
      {...rest}
    >
      {files.length > 0 && (
        <ul className="csk-attachments" data-slot="composer-attachments" aria-label={labels.attachments}>
          {files.map((file) => (
            <li key={file.id} className="csk-attachment" data-slot="composer-attachment">
              {file.part.mediaType.startsWith('image/') && <img className="csk-attachment-thumb" src={file.part.url} alt="" />}
              <span className="csk-attachment-name">{file.part.filename}</span>
              <span className="csk-attachment-size">{formatBytes(file.bytes)}</span>
              <button
                type="button"
                className="csk-icon-button csk-attachment-remove"
                aria-label={labels.removeAttachment(file.part.filename ?? '')}
                title={labels.removeAttachment(file.part.filename ?? '')}
                onClick={() => removeFile(file.id)}
              >
                <CloseIcon />
              </button>
            </li>
          ))}
        </ul>
      )}
      <label htmlFor={inputId} className="csk-visually-hidden">
        {labels.inputLabel}
      </label>
      <div className="csk-composer-row">
        {attachmentsEnabled && (
          <>
            <input
              ref={fileInputRef}
              type="file"
              multiple
              accept={accept}
              hidden
              tabIndex={-1}
              data-slot="composer-file-input"
              onChange={(event) => {
                if (event.target.files) void addFiles(event.target.files);
                event.target.value = '';
              }}
            />
            <button
              type="button"
              className="csk-icon-button csk-attach"
              data-slot="composer-attach"
              aria-label={labels.attach}
              title={labels.attach}
              onClick={() => fileInputRef.current?.click()}
            >
              <PaperclipIcon />
            </button>
          </>
        )}
        <textarea
          ref={inputRef}
          id={inputId}
          className="csk-input"
          data-slot="composer-input"
          rows={1}
          value={text}
          placeholder={placeholder ?? labels.inputPlaceholder}
          onChange={(event) => {
            setText(event.target.value);
            setBusyHint(false);
          }}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
          aria-describedby={describedBy}
        />
        {chat.isStreaming ? (
          <StopButton key="stop" label={labels.stop} onStop={stop} onUnmountWhileFocused={focusInput} />
        ) : (
          <button
            key="send"
            ref={sendRef}
            type="submit"
            className="csk-button csk-button-primary csk-composer-action"
            data-slot="composer-send"
            disabled={!canSend}
            aria-describedby={reason ? reasonId : undefined}
            onClick={onSendClick}
          >
            {labels.send}
          </button>
        )}
      </div>
      <p id={hintId} className="csk-visually-hidden">
        {labels.composerHint}
      </p>
      {/* Always mounted so screen readers already watch it when the hint appears. */}
      <p role="status" className="csk-composer-note" data-slot="composer-busy-hint">
        {busyHint ? labels.busyHint : ''}
      </p>
      {fileError && (
        <p role="alert" className="csk-composer-error" data-slot="composer-error">
          {fileError}
        </p>
      )}
      {reason && (
        <p id={reasonId} className="csk-composer-reason" data-slot="composer-reason">
          {reason}
        </p>
      )}
      {dragging && (
        <p className="csk-drop-hint" aria-hidden="true">
          {labels.dropFiles}
        </p>
      )}
    </form>
  );
});

/**
 * Stop: always `type="button"`, its own element (keyed apart from Send). If the answer ends while
 * it has focus it unmounts; focus then goes back to the input instead of being lost to `body`.
 */
function StopButton({ label, onStop, onUnmountWhileFocused }: { label: string; onStop: () => void; onUnmountWhileFocused: () => void }) {
  const ref = useRef<HTMLButtonElement | null>(null);
  const restore = useRef(onUnmountWhileFocused);
  restore.current = onUnmountWhileFocused;
  useLayoutEffect(() => {
    const button = ref.current;
    // Layout cleanups run before React removes the node, while it still holds focus.
    return () => {
      if (button && button.ownerDocument.activeElement === button) restore.current();
    };
  }, []);
  return (
    <button ref={ref} type="button" className="csk-button csk-button-stop csk-composer-action" data-slot="composer-stop" onClick={onStop}>
      {label}
    </button>
  );
}
