/**
 * A chat frozen in one state, for stories that show exactly one thing (a stopped answer, a tool
 * waiting for approval, a loading history) without a broker. Messages live in React state, so
 * the window's own actions (version pager, approve, send a suggestion) still work on screen.
 */
import { useMemo, useState } from 'react';
import type { ChatStatus, UIMessage } from 'ai';
import { createInertTransport } from '../../src/hooks/inert-transport.js';
import type { CloudSignalChat } from '../../src/hooks/use-cloudsignal-chat.js';
import type { ConnectionState } from '../../src/hooks/use-connection-state.js';
import type { GenerationStatus } from '../../src/hooks/use-generation-status.js';
import type { ChatErrorKind } from '../../src/hooks/errors.js';
import type { ChatHistoryState } from '../../src/hooks/types.js';
import { ChatWindow, type ChatWindowProps } from '../../src/components/chat-window.js';

export interface FrozenState {
  messages?: UIMessage[];
  status?: ChatStatus;
  error?: Error;
  errorKind?: ChatErrorKind | null;
  connection?: Partial<ConnectionState>;
  generation?: GenerationStatus;
  resuming?: boolean;
  history?: ChatHistoryState;
}

const transport = createInertTransport<UIMessage>();

/** A `CloudSignalChat` that holds still. */
export function useFrozenChat(frozen: FrozenState): CloudSignalChat & { history?: ChatHistoryState; log: string[] } {
  const [messages, setMessages] = useState<UIMessage[]>(frozen.messages ?? []);
  const [log] = useState<string[]>(() => []);
  const status = frozen.status ?? 'ready';
  return useMemo(() => {
    const note = (entry: string) => log.push(entry);
    return {
      id: 'frozen',
      transport,
      messages,
      status,
      error: frozen.error,
      setMessages: (next: UIMessage[] | ((m: UIMessage[]) => UIMessage[])) => setMessages(typeof next === 'function' ? next : () => next),
      resumeStream: async () => void note('resumeStream'),
      sendMessage: async (message?: { text?: string }) => {
        note(`sendMessage ${JSON.stringify(message)}`);
        const text = message?.text ?? '';
        setMessages((m) => [...m, { id: `sent-${m.length}`, role: 'user', parts: [{ type: 'text', text: text ?? '' }] }]);
      },
      regenerate: async (options?: { messageId?: string }) => void note(`regenerate ${options?.messageId ?? ''}`),
      stop: async () => void note('stop'),
      clearError: () => note('clearError'),
      addToolResult: async () => void note('addToolResult'),
      addToolOutput: async () => void note('addToolOutput'),
      addToolApprovalResponse: async (response: { id: string; approved: boolean }) => {
        note(`addToolApprovalResponse ${JSON.stringify(response)}`);
        setMessages((all) =>
          all.map((m) => ({
            ...m,
            parts: m.parts.map((p) =>
              'approval' in p && p.approval && p.approval.id === response.id && p.state === 'approval-requested'
                ? ({ ...p, state: 'approval-responded', approval: { ...p.approval, approved: response.approved } } as unknown as typeof p)
                : p,
            ),
          })),
        );
      },
      experimental_queuedMessages: [],
      experimental_removeQueuedMessage: () => undefined,
      experimental_sendQueuedMessageNow: async () => undefined,
      connection: {
        status: 'connected',
        attempt: 0,
        nextRetryAt: null,
        lastError: null,
        connectedAt: 1,
        isConnected: true,
        retry: () => note('retry'),
        ...frozen.connection,
      },
      generation: {
        status: frozen.generation ?? 'idle',
        isActive: frozen.generation === 'thinking' || frozen.generation === 'generating' || frozen.generation === 'queued',
        requestId: null,
        error: null,
        startedHere: true,
      },
      recovery: { resuming: frozen.resuming ?? false, recoveredChunks: 0, lastRecoveredAt: null },
      errorKind: frozen.errorKind ?? null,
      isStreaming: status === 'submitted' || status === 'streaming',
      history: frozen.history,
      log,
    } as unknown as CloudSignalChat & { history?: ChatHistoryState; log: string[] };
    // A frozen story never changes its state after mount, only its messages.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [messages]);
}

export interface FrozenChatWindowProps extends Omit<ChatWindowProps, 'chat'> {
  frozen: FrozenState;
}

/** `<ChatWindow>` over a frozen chat. */
export function FrozenChatWindow({ frozen, ...props }: FrozenChatWindowProps) {
  const chat = useFrozenChat(frozen);
  return <ChatWindow chat={chat} {...props} />;
}
