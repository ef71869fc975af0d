import { forwardRef, useCallback, useContext, useEffect, useRef, useState, type ComponentPropsWithoutRef, type ReactNode } from 'react';
import type { UIMessage } from 'ai';
import { BusyContext, useChatWindowActions, type MessageFeedback } from './chat-window-context.js';
import { CheckIcon, ChevronLeftIcon, ChevronRightIcon, CopyIcon, EditIcon, RegenerateIcon, ThumbDownIcon, ThumbUpIcon } from './icons.js';
import { cx } from './cx.js';

export interface IconButtonProps extends Omit<ComponentPropsWithoutRef<'button'>, 'children' | 'aria-label'> {
  /** The accessible name, also shown as the tooltip. */
  label: string;
  icon: ReactNode;
}

/** A small icon button with a tooltip that also shows on keyboard focus. */
export const IconButton = forwardRef<HTMLButtonElement, IconButtonProps>(function IconButton({ label, icon, className, ...rest }, ref) {
  return (
    // The tooltip is drawn from data-tooltip in CSS: no extra element per button in long threads.
    <button ref={ref} type="button" aria-label={label} data-tooltip={label} className={cx('csk-icon-button', className)} {...rest}>
      {icon}
    </button>
  );
});

function CopyButton({ message }: { message: UIMessage }) {
  const { copy, labels } = useChatWindowActions('ChatWindow.Message');
  const [copied, setCopied] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const onClick = useCallback(async () => {
    try {
      await copy(message);
      setCopied(true);
      clearTimeout(timer.current);
      timer.current = setTimeout(() => setCopied(false), 2000);
    } catch {
      setCopied(false);
    }
  }, [copy, message]);
  return (
    <IconButton
      label={copied ? labels.copied : labels.copy}
      icon={copied ? <CheckIcon /> : <CopyIcon />}
      data-slot="message-copy"
      data-state={copied ? 'copied' : 'idle'}
      onClick={onClick}
    />
  );
}

function FeedbackButtons({ message, onFeedback }: { message: UIMessage; onFeedback: (message: UIMessage, feedback: MessageFeedback) => void }) {
  const { labels } = useChatWindowActions('ChatWindow.Message');
  const [given, setGiven] = useState<MessageFeedback | null>(null);
  const give = (feedback: MessageFeedback) => {
    setGiven(feedback);
    onFeedback(message, feedback);
  };
  return (
    <>
      <IconButton label={labels.feedbackUp} icon={<ThumbUpIcon />} aria-pressed={given === 'up'} data-slot="message-feedback-up" onClick={() => give('up')} />
      <IconButton label={labels.feedbackDown} icon={<ThumbDownIcon />} aria-pressed={given === 'down'} data-slot="message-feedback-down" onClick={() => give('down')} />
    </>
  );
}

/** `‹ 1/2 ›`: which kept version of this position is shown. Disabled while an answer streams. */
export function VersionPager({ messageId, index, count }: { messageId: string; index: number; count: number }) {
  const { labels, selectVersion } = useChatWindowActions('ChatWindow.Message');
  const busy = useContext(BusyContext);
  return (
    <div className="csk-versions" data-slot="message-versions" role="group" aria-label={labels.versionPositionSpoken(index + 1, count)}>
      <IconButton
        label={labels.versionPrevious}
        icon={<ChevronLeftIcon />}
        disabled={busy || index === 0}
        data-slot="message-version-previous"
        onClick={() => selectVersion(messageId, index - 1)}
      />
      <span className="csk-versions-position" aria-hidden="true">
        {labels.versionPosition(index + 1, count)}
      </span>
      <IconButton
        label={labels.versionNext}
        icon={<ChevronRightIcon />}
        disabled={busy || index === count - 1}
        data-slot="message-version-next"
        onClick={() => selectVersion(messageId, index + 1)}
      />
    </div>
  );
}

export interface MessageActionBarProps {
  message: UIMessage;
  canCopy: boolean;
  canRegenerate: boolean;
  canEdit: boolean;
  onEdit?: () => void;
  editButtonRef?: React.Ref<HTMLButtonElement>;
  versionIndex: number;
  versionCount: number;
}

/** Copy, edit, regenerate, feedback and the version pager under a message. */
export function MessageActionBar({ message, canCopy, canRegenerate, canEdit, onEdit, editButtonRef, versionIndex, versionCount }: MessageActionBarProps) {
  // No busy-state context here: every row has a bar, and a context read would re-render all of
  // them when a turn starts and ends. The editor and the pager (few, mounted on demand) read it.
  const { labels, regenerate, onFeedback } = useChatWindowActions('ChatWindow.Message');
  const feedback = onFeedback && message.role === 'assistant' && canCopy;
  if (!canCopy && !canRegenerate && !canEdit && versionCount === 0 && !feedback) return null;
  return (
    <div className="csk-message-actions" data-slot="message-actions">
      {versionCount > 1 && <VersionPager messageId={message.id} index={versionIndex} count={versionCount} />}
      {canCopy && <CopyButton message={message} />}
      {canEdit && <IconButton ref={editButtonRef} label={labels.edit} icon={<EditIcon />} data-slot="message-edit" onClick={onEdit} />}
      {canRegenerate && (
        <IconButton label={labels.regenerate} icon={<RegenerateIcon />} data-slot="message-regenerate" onClick={() => regenerate(message.id)} />
      )}
      {feedback && <FeedbackButtons message={message} onFeedback={onFeedback} />}
    </div>
  );
}
