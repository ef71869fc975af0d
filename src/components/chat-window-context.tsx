import { createContext, useContext, useSyncExternalStore, type ReactNode, type RefObject } from 'react';
import type { DataUIPart, DynamicToolUIPart, ToolUIPart, UIDataTypes, UIMessage, UITools } from 'ai';
import type { CloudSignalChat } from '../hooks/use-cloudsignal-chat.js';
import type { ChatLabels } from './labels.js';
import type { StickToBottom } from './use-stick-to-bottom.js';
import type { VersionsSnapshot } from './message-versions.js';
import type { ChatStateStore } from './chat-state-store.js';

/**
 * What ChatWindow parts read from the chat. Changes with every committed token. Generic over the
 * app's message type, so `useCloudSignalChat<MyMessage>()` fits as it is.
 */
export type ChatWindowChat<UI extends UIMessage = UIMessage> = CloudSignalChat<UI>;

/** The tool types of a message type (`UITools` for a plain `UIMessage`). */
type ToolsOf<UI extends UIMessage> = UI extends UIMessage<unknown, UIDataTypes, infer TOOLS> ? TOOLS : UITools;
/** The data part types of a message type (`UIDataTypes` for a plain `UIMessage`). */
type DataTypesOf<UI extends UIMessage> = UI extends UIMessage<unknown, infer DATA> ? DATA : UIDataTypes;

/** A tool call part of the app's message type, static (`tool-<name>`) or dynamic. */
export type ToolPart<UI extends UIMessage = UIMessage> = ToolUIPart<ToolsOf<UI>> | DynamicToolUIPart;

/** What a custom tool renderer gets; `part` is narrowed to one tool for renderers keyed by name. */
export interface ToolRenderProps<UI extends UIMessage = UIMessage, PART = ToolPart<UI>> {
  part: PART;
  /** The tool's name (`getToolName(part)`). */
  name: string;
  message: UI;
  /** Answer an `approval-requested` call (wired to `chat.addToolApprovalResponse`). */
  respond: (approved: boolean, reason?: string) => void;
  /** The built-in card, to wrap or fall back to. */
  fallback: ReactNode;
}

/**
 * Renderers keyed by the app's tool names. Each gets that tool's typed part, or a dynamic tool
 * call of the same name (looked up by `getToolName`).
 */
export type ToolRenderers<UI extends UIMessage = UIMessage> = {
  [NAME in keyof ToolsOf<UI> & string]?: (props: ToolRenderProps<UI, ToolUIPart<Pick<ToolsOf<UI>, NAME>> | DynamicToolUIPart>) => ReactNode;
};

/**
 * Renders one tool call. Return `undefined` to use the built-in card. Either a function of every
 * call, or an object keyed by tool name. Pass a stable value (module scope or `useMemo`).
 */
export type RenderTool<UI extends UIMessage = UIMessage> = ((props: ToolRenderProps<UI>) => ReactNode | undefined) | ToolRenderers<UI>;

/**
 * Renders a `data-*` part of the app's message type; `undefined` or `null` renders nothing (the
 * default for data parts).
 */
export type RenderDataPart<UI extends UIMessage = UIMessage> = (part: DataUIPart<DataTypesOf<UI>>, message: UI) => ReactNode | undefined;

/** Feedback on an answer. */
export type MessageFeedback = 'up' | 'down';

/**
 * Per-row options, from `ChatWindow` props, typed by the app's message type. Stable values keep
 * settled rows from re-rendering.
 */
export interface ChatWindowRowOptions<UI extends UIMessage = UIMessage> {
  /** An avatar for a row, e.g. `(role) => role === 'assistant' ? <img src="/bot.svg" alt="" /> : null`. */
  avatar?: (role: UI['role'], message: UI) => ReactNode;
  /**
   * When a message was written. Return a `Date`, epoch ms, or nothing to show no time. Default:
   * none. `(m) => m.metadata?.createdAt` is typical.
   */
  timestamp?: (message: UI) => Date | number | undefined | null;
  /** Shows thumbs up/down under answers and reports the choice. */
  onFeedback?: (message: UI, feedback: MessageFeedback) => void;
  renderTool?: RenderTool<UI>;
  renderDataPart?: RenderDataPart<UI>;
  /** Offer Edit on user messages (resend keeps the earlier answers as versions). Default true. */
  editable?: boolean;
}

/** Stable across tokens: callbacks and settings that memoized rows may read without re-rendering. */
export interface ChatWindowActions extends ChatWindowRowOptions {
  labels: ChatLabels;
  copy: (message: UIMessage) => Promise<void>;
  /** Regenerates an answer, keeping the current one as a version; focus goes to the input. */
  regenerate: (messageId: string) => void;
  retry: () => void;
  /** Stop the live response (and remember it was the user's stop, for the end announcement). */
  stop: () => void;
  /** True once after a user stop; the announcer reads it when the response ends. */
  consumeStop: () => boolean;
  focusInput: () => void;
  /** Replaces a user message with new text and asks again; the old turn stays as a version. */
  edit: (messageId: string, text: string) => void;
  /** Shows version `index` (0-based) of the message at `messageId`'s position. */
  selectVersion: (messageId: string, index: number) => void;
  /** Approves or denies a tool call waiting for approval. */
  respondToApproval: (approvalId: string, approved: boolean, reason?: string) => void;
  /** Sends a suggestion as the user's message. */
  sendText: (text: string) => void;
  /** Shows every edited or regenerated position on its newest version (the stored one); a prompt is sent from there. */
  returnToLatest: () => void;
  /** Load the code highlighter lazily when a message has a fenced code block. */
  highlightCode: boolean;
  /** The window's accessible name, if given. */
  windowName?: string;
}

/** What the transcript knows beyond the chat: answers the user stopped, and kept versions. */
export interface TranscriptState {
  stopped: ReadonlySet<string>;
  versions: VersionsSnapshot;
}

/** The chat, behind a store whose identity never changes (see `ChatStateStore`). */
export const ChatStateContext = createContext<ChatStateStore<ChatWindowChat> | null>(null);
export const ChatActionsContext = createContext<ChatWindowActions | null>(null);
export const ScrollContext = createContext<StickToBottom | null>(null);
export const InputRefContext = createContext<RefObject<HTMLTextAreaElement | null> | null>(null);
export const TranscriptContext = createContext<TranscriptState | null>(null);
/** True while an answer streams; changes twice per turn, so rows may read it cheaply. */
export const BusyContext = createContext(false);

function need<T>(value: T | null, part: string): T {
  if (value === null) throw new Error(`<${part}> must be rendered inside <ChatWindow.Root>.`);
  return value;
}

/**
 * Inside `ChatWindow.Root`: the chat state (messages, status, connection, generation). Custom parts
 * name the app's message type, `useChatWindowChat<MyMessage>()`: the root holds one chat, so its
 * messages are the type the app gave `ChatWindow`.
 */
export function useChatWindowChat<UI extends UIMessage = UIMessage>(part = 'ChatWindow part'): ChatWindowChat<UI> {
  const store = need(useContext(ChatStateContext), part);
  const chat = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
  // The store is typed for any message type; the app names the one it passed in.
  return chat as unknown as ChatWindowChat<UI>;
}
/** Inside `ChatWindow.Root`: send, stop, retry and the other actions. */
export const useChatWindowActions = (part = 'ChatWindow part') => need(useContext(ChatActionsContext), part);
/** Inside `ChatWindow.Root`: the stick-to-bottom state of the viewport. */
export const useChatWindowScroll = (part = 'ChatWindow part') => need(useContext(ScrollContext), part);
export const useChatWindowInputRef = (part = 'ChatWindow part') => need(useContext(InputRefContext), part);
export const useTranscriptState = (part = 'ChatWindow part') => need(useContext(TranscriptContext), part);
