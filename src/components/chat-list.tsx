import {
  createContext,
  forwardRef,
  useCallback,
  useContext,
  useEffect,
  useId,
  useMemo,
  useRef,
  useState,
  type ComponentPropsWithoutRef,
  type KeyboardEvent,
  type ReactNode,
} from 'react';
import { Slot } from '@radix-ui/react-slot';
import type { ChatListState, ChatSummary } from '../hooks/types.js';
import type { ChatLabels } from './labels.js';
import { useLabels } from './use-labels.js';
import { EditIcon, PlusIcon, TrashIcon } from './icons.js';
import { IconButton } from './message-actions.js';
import { cx } from './cx.js';

interface ChatListContextValue {
  list: ChatListState;
  activeChatId: string | null;
  labels: ChatLabels;
  onSelect: (chatId: string) => void;
  onNewChat?: () => void;
  /** The one item in the tab order (roving tabindex). */
  tabStop: string | null;
  setTabStop: (chatId: string) => void;
  register: (chatId: string, element: HTMLElement | null) => void;
  focusItem: (chatId: string) => void;
  newChatRef: React.RefObject<HTMLButtonElement | null>;
}

const ChatListContext = createContext<ChatListContextValue | null>(null);

function useChatListContext(part: string): ChatListContextValue {
  const value = useContext(ChatListContext);
  if (!value) throw new Error(`<${part}> must be rendered inside <ChatList.Root>.`);
  return value;
}

/** Props of {@link ChatListRoot}: the list's state, the active chat and the selection callbacks. */
export interface ChatListRootProps extends Omit<ComponentPropsWithoutRef<'nav'>, 'onSelect'> {
  /** `useChatList()`: the user's chats, newest first, with rename and remove. */
  list: ChatListState;
  /** The chat shown next to the list; its item is marked `aria-current="page"`. */
  activeChatId?: string | null;
  onSelect: (chatId: string) => void;
  onNewChat?: () => void;
  labels?: Partial<ChatLabels>;
  /** `light`, `dark`, or follow the system (default). */
  theme?: 'light' | 'dark' | 'system';
  asChild?: boolean;
}

/**
 * The chat list's navigation landmark (named "Chats") and its state. Up/Down, Home and End move
 * between chats; only one chat is in the tab order, so Tab leaves the list in one step.
 */
export const ChatListRoot = forwardRef<HTMLElement, ChatListRootProps>(function ChatListRoot(
  { list, activeChatId = null, onSelect, onNewChat, labels: labelOverrides, theme = 'system', asChild, className, children, ...rest },
  ref,
) {
  const labels = useLabels(labelOverrides);
  const elements = useRef(new Map<string, HTMLElement>());
  const newChatRef = useRef<HTMLButtonElement | null>(null);
  const [focused, setFocused] = useState<string | null>(null);
  const ids = list.chats.map((c) => c.chatId);
  // The tab stop: the chat last focused if it still exists, else the active chat, else the first.
  const tabStop = focused !== null && ids.includes(focused) ? focused : activeChatId !== null && ids.includes(activeChatId) ? activeChatId : (ids[0] ?? null);
  const register = useCallback((chatId: string, element: HTMLElement | null) => {
    if (element) elements.current.set(chatId, element);
    else elements.current.delete(chatId);
  }, []);
  const focusItem = useCallback((chatId: string) => {
    setFocused(chatId);
    elements.current.get(chatId)?.focus();
  }, []);
  const value = useMemo<ChatListContextValue>(
    () => ({ list, activeChatId, labels, onSelect, onNewChat, tabStop, setTabStop: setFocused, register, focusItem, newChatRef }),
    [list, activeChatId, labels, onSelect, onNewChat, tabStop, register, focusItem],
  );
  const Comp = asChild ? Slot : 'nav';
  return (
    <ChatListContext.Provider value={value}>
      <Comp
        ref={ref}
        aria-label={labels.chatList}
        data-slot="chat-list"
        data-state={list.status}
        data-theme={theme === 'system' ? undefined : theme}
        className={cx('csk-root csk-chat-list', className)}
        {...rest}
      >
        {children}
      </Comp>
    </ChatListContext.Provider>
  );
});

/** Props of {@link ChatListNewChat}, the "New chat" button. */
export interface ChatListNewChatProps extends ComponentPropsWithoutRef<'button'> {
  asChild?: boolean;
}

/** "New chat": calls `onNewChat`. */
export const ChatListNewChat = forwardRef<HTMLButtonElement, ChatListNewChatProps>(function ChatListNewChat(
  { asChild, className, children, onClick, ...rest },
  ref,
) {
  const { labels, onNewChat, newChatRef } = useChatListContext('ChatList.NewChat');
  const Comp = asChild ? Slot : 'button';
  return (
    <Comp
      ref={(element: HTMLButtonElement | null) => {
        newChatRef.current = element;
        if (typeof ref === 'function') ref(element);
        else if (ref) ref.current = element;
      }}
      type={asChild ? undefined : 'button'}
      data-slot="chat-list-new"
      className={cx('csk-button csk-chat-list-new', className)}
      onClick={(event: React.MouseEvent<HTMLButtonElement>) => {
        onClick?.(event);
        if (!event.defaultPrevented) onNewChat?.();
      }}
      {...rest}
    >
      {children ?? (
        <>
          <PlusIcon />
          <span>{labels.newChat}</span>
        </>
      )}
    </Comp>
  );
});

/** Props of {@link ChatListItems}: the list of chats, or a render function per chat. */
export interface ChatListItemsProps extends Omit<ComponentPropsWithoutRef<'ul'>, 'children'> {
  /** Draws one chat; defaults to `<ChatList.Item chat={chat} />`. */
  renderItem?: (chat: ChatSummary) => ReactNode;
}

/** The chats, newest first; a status line while loading, an alert on error, a note when empty. */
export const ChatListItems = forwardRef<HTMLUListElement, ChatListItemsProps>(function ChatListItems({ renderItem, className, onKeyDown, ...rest }, ref) {
  const { list, labels, focusItem } = useChatListContext('ChatList.Items');
  const onKey = (event: KeyboardEvent<HTMLUListElement>) => {
    onKeyDown?.(event);
    if (event.defaultPrevented) return;
    const target = (event.target as HTMLElement).closest<HTMLElement>('[data-chat-id]');
    if (!target || !(event.target as HTMLElement).matches('[data-slot="chat-list-item"]')) return;
    const ids = list.chats.map((c) => c.chatId);
    const index = ids.indexOf(target.dataset.chatId ?? '');
    const next =
      event.key === 'ArrowDown' ? ids[Math.min(ids.length - 1, index + 1)]
      : event.key === 'ArrowUp' ? ids[Math.max(0, index - 1)]
      : event.key === 'Home' ? ids[0]
      : event.key === 'End' ? ids[ids.length - 1]
      : undefined;
    if (next === undefined) return;
    event.preventDefault();
    focusItem(next);
  };
  if (list.status === 'loading' && list.chats.length === 0) {
    return (
      <p role="status" className="csk-chat-list-note" data-slot="chat-list-loading">
        {labels.chatListLoading}
      </p>
    );
  }
  if (list.status === 'error' && list.chats.length === 0) {
    return (
      <p role="alert" className="csk-chat-list-note" data-slot="chat-list-error">
        {labels.chatListError}
      </p>
    );
  }
  if (list.chats.length === 0) {
    return (
      <p className="csk-chat-list-note" data-slot="chat-list-empty">
        {labels.chatListEmpty}
      </p>
    );
  }
  return (
    <ul ref={ref} className={cx('csk-chat-list-items', className)} data-slot="chat-list-items" onKeyDown={onKey} {...rest}>
      {list.chats.map((chat) => (
        <li key={chat.chatId} className="csk-chat-list-row" data-chat-id={chat.chatId}>
          {renderItem ? renderItem(chat) : <ChatListItem chat={chat} />}
        </li>
      ))}
    </ul>
  );
});

/** Props of {@link ChatListItem}: one chat, selectable, with rename and delete. */
export interface ChatListItemProps extends Omit<ComponentPropsWithoutRef<'button'>, 'children'> {
  chat: ChatSummary;
  /** Render the chat as your own element, e.g. a router link: `<ChatList.Item chat={c} asChild><a href=… /></ChatList.Item>`. */
  asChild?: boolean;
  children?: ReactNode;
  /** Show the rename and delete actions. Default true. */
  actions?: boolean;
}

/**
 * One chat: selects it on click, marks the active one (`data-state="active"`, `aria-current`),
 * and offers Rename (inline, Enter saves, Escape cancels) and Delete (confirmed inline).
 */
export const ChatListItem = forwardRef<HTMLButtonElement, ChatListItemProps>(function ChatListItem(
  { chat, asChild, children, actions = true, className, onClick, onFocus, ...rest },
  ref,
) {
  const { activeChatId, labels, onSelect, tabStop, setTabStop, register, list, focusItem, newChatRef } = useChatListContext('ChatList.Item');
  const [mode, setMode] = useState<'view' | 'rename' | 'confirm'>('view');
  const active = chat.chatId === activeChatId;
  const inTabOrder = chat.chatId === tabStop;
  const title = chat.title || labels.untitledChat;
  const itemRef = useRef<HTMLButtonElement | null>(null);
  const restoreFocus = useRef(false);
  useEffect(() => {
    if (mode === 'view' && restoreFocus.current) {
      restoreFocus.current = false;
      itemRef.current?.focus();
    }
  }, [mode]);

  const remove = async () => {
    const ids = list.chats.map((c) => c.chatId);
    const index = ids.indexOf(chat.chatId);
    const neighbour = ids[index + 1] ?? ids[index - 1];
    await list.remove(chat.chatId);
    // The deleted item takes its focus with it: move to a neighbour, or to New chat.
    if (neighbour) focusItem(neighbour);
    else newChatRef.current?.focus();
  };

  if (mode === 'rename') {
    return (
      <RenameForm
        title={chat.title}
        labels={labels}
        onDone={async (next) => {
          if (next !== null && next !== chat.title) await list.rename(chat.chatId, next);
          restoreFocus.current = true;
          setMode('view');
        }}
      />
    );
  }

  const Comp = asChild ? Slot : 'button';
  return (
    <div className="csk-chat-list-item-wrap" data-state={active ? 'active' : 'inactive'}>
      <Comp
        ref={(element: HTMLButtonElement | null) => {
          itemRef.current = element;
          register(chat.chatId, element);
          if (typeof ref === 'function') ref(element);
          else if (ref) ref.current = element;
        }}
        type={asChild ? undefined : 'button'}
        data-slot="chat-list-item"
        data-state={active ? 'active' : 'inactive'}
        data-chat-id={chat.chatId}
        aria-current={active ? 'page' : undefined}
        tabIndex={inTabOrder ? 0 : -1}
        className={cx('csk-chat-list-item', className)}
        onFocus={(event: React.FocusEvent<HTMLButtonElement>) => {
          onFocus?.(event);
          setTabStop(chat.chatId);
        }}
        onClick={(event: React.MouseEvent<HTMLButtonElement>) => {
          onClick?.(event);
          if (!event.defaultPrevented) onSelect(chat.chatId);
        }}
        {...rest}
      >
        {children ?? <span className="csk-chat-list-title">{title}</span>}
      </Comp>
      {mode === 'confirm' ? (
        <span className="csk-chat-list-confirm" role="group" aria-label={labels.confirmRemove(title)}>
          <button type="button" className="csk-button csk-button-stop" data-slot="chat-list-confirm-delete" onClick={() => void remove()}>
            {labels.confirm}
          </button>
          <button
            type="button"
            className="csk-button"
            data-slot="chat-list-cancel-delete"
            onClick={() => {
              restoreFocus.current = true;
              setMode('view');
            }}
          >
            {labels.cancel}
          </button>
        </span>
      ) : (
        actions && (
          <span className="csk-chat-list-actions">
            <IconButton label={labels.rename(title)} icon={<EditIcon />} tabIndex={inTabOrder ? 0 : -1} data-slot="chat-list-rename" onClick={() => setMode('rename')} />
            <IconButton label={labels.remove(title)} icon={<TrashIcon />} tabIndex={inTabOrder ? 0 : -1} data-slot="chat-list-delete" onClick={() => setMode('confirm')} />
          </span>
        )
      )}
    </div>
  );
});

function RenameForm({ title, labels, onDone }: { title: string; labels: ChatLabels; onDone: (title: string | null) => void }) {
  const [value, setValue] = useState(title);
  const inputRef = useRef<HTMLInputElement | null>(null);
  const id = useId();
  // Enter, Escape and the blur that follows either must finish the rename once.
  const finished = useRef(false);
  const finish = (next: string | null) => {
    if (finished.current) return;
    finished.current = true;
    onDone(next);
  };
  useEffect(() => {
    inputRef.current?.focus();
    inputRef.current?.select();
  }, []);
  return (
    <form
      className="csk-chat-list-rename"
      data-slot="chat-list-rename-form"
      onSubmit={(event) => {
        event.preventDefault();
        finish(value.trim() ? value.trim() : null);
      }}
    >
      <label htmlFor={id} className="csk-visually-hidden">
        {labels.renameInputLabel}
      </label>
      <input
        ref={inputRef}
        id={id}
        className="csk-input csk-chat-list-rename-input"
        value={value}
        onChange={(event) => setValue(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Escape') {
            event.preventDefault();
            finish(null);
          }
        }}
        onBlur={() => finish(value.trim() ? value.trim() : null)}
      />
    </form>
  );
}

/** Props of the assembled {@link ChatList}. */
export interface ChatListProps extends Omit<ChatListRootProps, 'children' | 'asChild'> {
  /** Draws one chat; defaults to `<ChatList.Item chat={chat} />`. */
  renderItem?: (chat: ChatSummary) => ReactNode;
}

const ChatListImpl = forwardRef<HTMLElement, ChatListProps>(function ChatList({ renderItem, ...rest }, ref) {
  return (
    <ChatListRoot ref={ref} {...rest}>
      <ChatListNewChat />
      <ChatListItems renderItem={renderItem} />
    </ChatListRoot>
  );
});

/**
 * The user's chats: `<ChatList list={useChatList()} activeChatId={id} onSelect={open} onNewChat={create} />`.
 * Compose the parts for your own layout: `ChatList.Root`, `.NewChat`, `.Items`, `.Item`.
 */
export const ChatList = Object.assign(ChatListImpl, {
  Root: ChatListRoot,
  NewChat: ChatListNewChat,
  Items: ChatListItems,
  Item: ChatListItem,
});
