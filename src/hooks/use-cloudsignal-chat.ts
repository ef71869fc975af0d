import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useChat, type UseChatHelpers } from '@ai-sdk/react';
import { generateId, type ChatInit, type ChatTransport, type UIMessage } from 'ai';
import type { StoredMessage } from '../transport/conversation.js';
import type { HistorySnapshot } from '../transport/conversation-sync.js';
import { Store } from '../transport/store.js';
import type { ChatHistoryState, ChatKitTransport } from './types.js';
import { useStore } from './use-store.js';
import { useChatTransport, type TransportInput } from './use-chat-transport.js';
import { useConnectionState, type ConnectionState } from './use-connection-state.js';
import { useChatActivity } from './use-chat-activity.js';
import { isActiveGeneration, useGenerationFromActivity, type GenerationState } from './use-generation-status.js';
import type { RecoveryState } from './use-recovery-state.js';
import { chatErrorKind, isNetworkError, type ChatErrorKind } from './errors.js';

/** One animation frame: a token stream never commits more often than the screen can paint. */
export const DEFAULT_THROTTLE_MS = 16;

/** Options of {@link useCloudSignalChat}: `useChat`'s, with `transport` taking the kit's transport or its options. */
export interface UseCloudSignalChatOptions<UI extends UIMessage = UIMessage> extends Omit<ChatInit<UI>, 'transport'> {
  /** A transport instance (you own and close it) or the options to create one (the hook owns it). */
  transport: TransportInput<UI>;
  /**
   * Chat id; also the topic segment, so it must match `[A-Za-z0-9_-]{1,64}`. Give it explicitly
   * to share a chat between tabs or devices; otherwise a random id is kept for the component's life.
   */
  id?: string;
  /** Minimum ms between message commits while streaming. Default {@link DEFAULT_THROTTLE_MS}. */
  throttle?: number;
  /**
   * Resume a live turn on mount and after a reconnect, and pick up turns started on another
   * device. A finished turn whose answer is not in `messages` is fetched from the retained
   * `complete` record too, so use a new chat id for a new conversation. Default `true`.
   */
  resume?: boolean;
}

/** `useChat`'s helpers plus the three axes of a chat over MQTT. */
export interface CloudSignalChat<UI extends UIMessage = UIMessage> extends Omit<UseChatHelpers<UI>, 'id'> {
  readonly id: string;
  readonly transport: ChatKitTransport<UI>;
  /** The socket: status, attempt, next retry, last error, `retry()`. */
  readonly connection: ConnectionState;
  /** The worker's status of the latest turn. */
  readonly generation: GenerationState;
  /** Whether a resume is running and what the last one recovered. */
  readonly recovery: RecoveryState;
  /** `error` classified; `'network'` is resumable and belongs in the reconnect banner. */
  readonly errorKind: ChatErrorKind | null;
  /** `useChat` is submitting or streaming. */
  readonly isStreaming: boolean;
  /** The chat's stored history: whether it is loading, and older pages on demand. */
  readonly history: ChatHistoryState<UI>;
  /** Ids of user messages sent while offline and not yet taken by a worker (shown as pending). */
  readonly pendingMessageIds: readonly string[];
}

/**
 * The transport as useChat sees it: its abort signal stops reading, never the turn itself, when
 * the transport has `stopTurn` (then `stop()` below stops the turn). A transport without it (a
 * wrapper that forwards only the `ChatTransport` methods) gets the signal as it is: it is its only
 * way to hear of Stop, so Stop still stops the turn (and so does an unmount).
 */
function readingOnly<UI extends UIMessage>(transport: ChatKitTransport<UI>): ChatTransport<UI> {
  if (!transport.stopTurn) return transport;
  return {
    resumeStreamIsReplay: transport.resumeStreamIsReplay,
    sendMessages: (options) => transport.sendMessages({ ...options, abortSignal: undefined }),
    reconnectToStream: (options) => transport.reconnectToStream({ ...options, abortSignal: undefined }),
  };
}

/** Stands in for the history of transports without a chat store: nothing to load. */
const NO_HISTORY = new Store<HistorySnapshot>({ status: 'ready', messages: [], version: 0, hasOlder: false, reloads: 0, versions: [], error: null });
const noOlder = () => Promise.resolve();

/**
 * Puts stored messages into what `useChat` shows: the store's order for every message it holds,
 * the stored version of those written since the last merge (`fresh`), the local version of the
 * others (a turn streamed here may be newer than the last sync), then local messages the store
 * does not have yet (a prompt just sent) in their order.
 */
export function mergeStoredMessages<UI extends UIMessage>(current: readonly UI[], stored: readonly StoredMessage<UI>[], freshIds: ReadonlySet<string>): UI[] {
  const local = new Map(current.map((m) => [m.id, m]));
  const storedIds = new Set<string>();
  const merged: UI[] = [];
  for (const { message } of stored) {
    storedIds.add(message.id);
    merged.push(freshIds.has(message.id) ? message : (local.get(message.id) ?? message));
  }
  for (const message of current) if (!storedIds.has(message.id)) merged.push(message);
  return merged.length === current.length && merged.every((m, i) => m === current[i]) ? (current as UI[]) : merged;
}

/**
 * `useChat` over MQTT. Returns everything `useChat` returns plus `connection`, `generation`,
 * `recovery` and `history`. Hydrates the chat from its stored conversation (newest first, older
 * pages with `history.loadOlder()`, then only what changed), resumes the live turn on mount and
 * after a reconnect, and shows turns started on another device of the same user (their user
 * message is inserted, then the answer streams in). `stop()` stops the live turn wherever it started.
 *
 * @example
 * const chat = useCloudSignalChat({ id: 'support', transport: { wssUrl, authEndpoint: '/api/mqtt-token' } });
 * return <ChatWindow chat={chat} />;
 */
export function useCloudSignalChat<UI extends UIMessage = UIMessage>(options: UseCloudSignalChatOptions<UI>): CloudSignalChat<UI> {
  const { transport: transportInput, id: givenId, throttle = DEFAULT_THROTTLE_MS, resume = true, ...chatInit } = options;
  const [fallbackId] = useState(() => generateId());
  const id = givenId ?? fallbackId;
  const transport = useChatTransport<UI>(transportInput);

  // Resuming is ours, not useChat's: its `resume` fires before the retained status says whether
  // a turn is live, and it cannot insert the other device's user message first.
  // useChat aborts its requests on unmount too; over MQTT that would stop the turn on every device
  // (switching chats in a sidebar, or a reload's unmount, must not). So useChat's signal only stops
  // this page reading, and `stop()` below is what stops the turn.
  const chatTransport = useMemo(() => readingOnly(transport), [transport]);
  const helpers = useChat<UI>({ ...chatInit, id, transport: chatTransport, throttle, resume: false });
  const connection = useConnectionState(transport);
  const activity = useChatActivity(transport, id);
  // The transport says "done" once the last chunk reached it; useChat may still be consuming it.
  const generation = useGenerationFromActivity(activity, helpers.status === 'submitted' || helpers.status === 'streaming');
  const recovery = activity.recovery;

  const { messages, status, error, setMessages, resumeStream } = helpers;
  const handledTurns = useRef(new Set<string>());
  const resumedOnConnection = useRef<number | null | undefined>(undefined);

  // Stored history: hydrate on mount, and again whenever a turn of this chat ends (any device).
  const conversation = useMemo(() => transport.conversation?.(id) ?? null, [transport, id]);
  const stored = useStore((conversation?.store ?? NO_HISTORY) as Store<HistorySnapshot<UI>>);
  useEffect(() => {
    if (conversation) void conversation.sync();
  }, [conversation]);
  const endedTurn = activity.requestId !== null && !isActiveGeneration(activity.turnState) && activity.turnState !== 'idle' ? activity.requestId : null;
  useEffect(() => {
    if (conversation && endedTurn) void conversation.sync();
  }, [conversation, endedTurn]);
  const historyReady = stored.status === 'ready' || stored.status === 'error';
  const appliedVersion = useRef(-1);
  const appliedReloads = useRef(0);
  const pendingRef = useRef(activity.pending);
  pendingRef.current = activity.pending;
  const busy = status === 'submitted' || status === 'streaming';
  useEffect(() => {
    // Never under a live stream: `useChat` owns the last message until the turn ends.
    if (!conversation || stored.status !== 'ready' || busy) return;
    const applied = appliedVersion.current;
    appliedVersion.current = stored.version;
    if (stored.reloads !== appliedReloads.current) {
      // Messages were removed (an edit or a regeneration, maybe on another device): merging by id
      // would keep them, so the chat becomes what is stored. Prompts still queued are added back
      // on screen.
      appliedReloads.current = stored.reloads;
      const storedIds = new Set(stored.messages.map((m) => m.message.id));
      const queued = new Set(pendingRef.current.map((m) => m.id));
      setMessages((current) => [...stored.messages.map((m) => m.message), ...current.filter((m) => queued.has(m.id) && !storedIds.has(m.id))]);
      return;
    }
    // Older pages carry old versions: they are not fresh, but new to `useChat` all the same.
    const fresh = new Set(stored.messages.filter((m) => m.version > applied).map((m) => m.message.id));
    setMessages((current) => mergeStoredMessages(current, stored.messages, fresh));
  }, [conversation, stored, busy, setMessages]);

  // Prompts accepted offline (also by the page before a reload) are shown until a worker takes them.
  const pending = activity.pending;
  useEffect(() => {
    if (pending.length === 0 || !historyReady) return;
    setMessages((current) => {
      const missing = pending.filter((p) => !current.some((m) => m.id === p.id)) as UI[];
      return missing.length === 0 ? current : [...current, ...missing];
    });
    // After a reload nothing reads the queued turn yet: attach to it (works offline too).
    if (resume && status !== 'submitted' && status !== 'streaming' && !handledTurns.current.has(`pending:${pending[0].id}`)) {
      handledTurns.current.add(`pending:${pending[0].id}`);
      void resumeStream();
    }
  }, [pending, historyReady, resume, status, setMessages, resumeStream]);

  useEffect(() => {
    if (!resume || connection.status !== 'connected' || !historyReady) return;

    // 1. Our stream broke with the connection: replay it now that the socket is back,
    //    once per connection so a failing resume cannot loop.
    if (status === 'error' && isNetworkError(error)) {
      if (resumedOnConnection.current === connection.connectedAt) return;
      resumedOnConnection.current = connection.connectedAt;
      void resumeStream();
      return;
    }

    // 2. A turn we did not start (another device, or before this page loaded).
    const { requestId, startedHere, userMessage, messageId } = activity;
    if (requestId === null) return;
    if (startedHere || status === 'submitted' || status === 'streaming') {
      handledTurns.current.add(requestId);
      return;
    }
    // Ready, or showing a non-network error of an earlier turn: a new turn still gets picked up.
    if (handledTurns.current.has(requestId)) return;
    const live = isActiveGeneration(activity.turnState);
    const answerMissing = messageId !== null && !messages.some((m) => m.id === messageId);
    handledTurns.current.add(requestId);
    if (!live && !answerMissing) return;
    if (userMessage) {
      const user = userMessage as UI;
      setMessages((current) => {
        const at = current.findIndex((m) => m.id === user.id);
        if (at < 0) return [...current, user];
        // A prompt shown here with messages after it was edited or regenerated elsewhere: what
        // followed it is gone, and the new answer streams in after it.
        return at === current.length - 1 ? current : [...current.slice(0, at), user];
      });
    }
    void resumeStream();
  }, [resume, connection.status, connection.connectedAt, historyReady, status, error, activity, messages, setMessages, resumeStream]);

  const errorKind = useMemo(() => chatErrorKind(error), [error]);
  const isStreaming = busy;
  const { stop: stopHere } = helpers;
  // Stop reaches the turn wherever it was started (another device's turn this page only follows).
  const stop = useCallback(async () => {
    await Promise.all([stopHere(), transport.stopTurn?.(id)]);
  }, [stopHere, transport, id]);
  const history = useMemo<ChatHistoryState<UI>>(
    () => ({
      status: stored.status === 'idle' ? 'loading' : stored.status,
      hasOlder: stored.hasOlder,
      loadOlder: conversation ? () => conversation.loadOlder() : noOlder,
      versions: stored.versions,
    }),
    [stored.status, stored.hasOlder, stored.versions, conversation],
  );
  const pendingMessageIds = useMemo(() => pending.map((m) => m.id), [pending]);

  return useMemo(
    () => ({
      id,
      transport,
      messages,
      status,
      error,
      setMessages,
      resumeStream,
      sendMessage: helpers.sendMessage,
      regenerate: helpers.regenerate,
      stop,
      clearError: helpers.clearError,
      addToolResult: helpers.addToolResult,
      addToolOutput: helpers.addToolOutput,
      addToolApprovalResponse: helpers.addToolApprovalResponse,
      experimental_queuedMessages: helpers.experimental_queuedMessages,
      experimental_removeQueuedMessage: helpers.experimental_removeQueuedMessage,
      experimental_sendQueuedMessageNow: helpers.experimental_sendQueuedMessageNow,
      connection,
      generation,
      recovery,
      errorKind,
      isStreaming,
      history,
      pendingMessageIds,
    }),
    // The chat's methods are bound once per Chat instance, so these deps change only with state.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [id, transport, messages, status, error, setMessages, resumeStream, stop, helpers.sendMessage, helpers.experimental_queuedMessages, connection, generation, recovery, errorKind, isStreaming, history, pendingMessageIds],
  );
}
