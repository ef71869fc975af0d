import { createContext, useContext, type RefObject } from 'react';
import type { UIMessage } from 'ai';
import type { CloudSignalChat } from '../hooks/use-cloudsignal-chat.js';
import type { ChatLabels } from './labels.js';
import type { StickToBottom } from './use-stick-to-bottom.js';

/** What ChatWindow parts read from the chat. Changes with every committed token. */
export type ChatWindowChat = CloudSignalChat<UIMessage>;

/** Stable across tokens: callbacks and settings that memoized rows may read without re-rendering. */
export interface ChatWindowActions {
  labels: ChatLabels;
  copy: (message: UIMessage) => Promise<void>;
  regenerate: (messageId: string) => void;
  retry: () => void;
  /** Stop the live response (and remember it was the user's stop, for the end announcement). */
  stop: () => void;
  /** True once after a user stop; the announcer reads it when the response ends. */
  consumeStop: () => boolean;
  focusInput: () => void;
  /** Load the code highlighter lazily when a message has a fenced code block. */
  highlightCode: boolean;
}

export const ChatStateContext = createContext<ChatWindowChat | null>(null);
export const ChatActionsContext = createContext<ChatWindowActions | null>(null);
export const ScrollContext = createContext<StickToBottom | null>(null);
export const InputRefContext = createContext<RefObject<HTMLTextAreaElement | null> | null>(null);

function need<T>(value: T | null, part: string): T {
  if (value === null) throw new Error(`<${part}> must be rendered inside <ChatWindow.Root>.`);
  return value;
}

/** Inside `ChatWindow.Root`: the chat state (messages, status, connection, generation). */
export const useChatWindowChat = (part = 'ChatWindow part') => need(useContext(ChatStateContext), part);
/** Inside `ChatWindow.Root`: send, stop, retry and the other actions. */
export const useChatWindowActions = (part = 'ChatWindow part') => need(useContext(ChatActionsContext), part);
/** Inside `ChatWindow.Root`: the stick-to-bottom state of the viewport. */
export const useChatWindowScroll = (part = 'ChatWindow part') => need(useContext(ScrollContext), part);
export const useChatWindowInputRef = (part = 'ChatWindow part') => need(useContext(InputRefContext), part);
