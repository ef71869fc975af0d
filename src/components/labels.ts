/**
 * Every built-in string of the components, in one place. Pass a partial object as `labels`
 * to any component (or to `ChatWindow`, which hands it down) to translate or reword.
 */
export interface ChatLabels {
  transcript: string;
  emptyState: string;
  you: string;
  assistant: string;
  system: string;
  inputLabel: string;
  inputPlaceholder: string;
  send: string;
  stop: string;
  composerHint: string;
  offlineReason: string;
  connectionErrorReason: string;
  jumpToLatest: string;
  unread: (count: number) => string;
  copy: string;
  copied: string;
  regenerate: string;
  retry: string;
  reasoning: string;
  tool: (name: string) => string;
  toolStates: Record<string, string>;
  toolInput: string;
  toolOutput: string;
  errorTitle: string;
  errorTimeout: string;
  errorAuth: string;
  responseStarted: string;
  responseFinished: string;
  responseStopped: string;
  responseFailed: string;
  connection: Record<'connecting' | 'connected' | 'reconnecting' | 'offline' | 'error', string>;
  generation: Record<'idle' | 'queued' | 'thinking' | 'generating' | 'done' | 'error' | 'aborted', string>;
  statusSeparator: string;
  bannerReconnecting: string;
  bannerOffline: string;
  bannerAttempt: (attempt: number) => string;
  bannerCountdown: (seconds: number) => string;
  bannerRetrying: string;
  bannerRetry: string;
  bannerRecovered: (chunks: number) => string;
  bannerResuming: string;
  bannerAuthFailed: string;
  bannerUnreachable: string;
  bannerProtocol: string;
  dismiss: string;
}

/** Every built-in English string; override some with `labels`. */
export const defaultLabels: ChatLabels = {
  transcript: 'Conversation',
  emptyState: 'No messages yet. Ask anything to start.',
  you: 'You',
  assistant: 'Assistant',
  system: 'System',
  inputLabel: 'Message',
  inputPlaceholder: 'Write a message…',
  send: 'Send',
  stop: 'Stop',
  composerHint: 'Enter to send, Shift+Enter for a new line',
  offlineReason: 'Not connected. Sending resumes when the connection is back.',
  connectionErrorReason: 'Sending is paused: the chat service refused the connection.',
  jumpToLatest: 'Jump to latest',
  unread: (count) => (count === 1 ? '1 new message' : `${count} new messages`),
  copy: 'Copy',
  copied: 'Copied',
  regenerate: 'Regenerate',
  retry: 'Retry',
  reasoning: 'Reasoning',
  tool: (name) => `Tool: ${name}`,
  toolStates: {
    'input-streaming': 'preparing',
    'input-available': 'running',
    'approval-requested': 'awaiting approval',
    'approval-responded': 'approved',
    'output-available': 'done',
    'output-error': 'failed',
    'output-denied': 'denied',
  },
  toolInput: 'Input',
  toolOutput: 'Output',
  errorTitle: 'The answer could not be completed.',
  errorTimeout: 'The assistant stopped responding.',
  errorAuth: 'You are not signed in to the chat service.',
  responseStarted: 'Assistant is responding.',
  responseFinished: 'Assistant finished responding.',
  responseStopped: 'Response stopped.',
  responseFailed: 'The response failed.',
  connection: {
    connecting: 'Connecting',
    connected: 'Connected',
    reconnecting: 'Reconnecting',
    offline: 'Offline',
    error: 'Connection failed',
  },
  generation: {
    idle: 'Ready',
    queued: 'Queued',
    thinking: 'Thinking',
    generating: 'Generating',
    done: 'Done',
    error: 'Error',
    aborted: 'Stopped',
  },
  statusSeparator: ' · ',
  bannerReconnecting: 'Connection lost. Reconnecting…',
  bannerOffline: 'You are offline. We will reconnect when the network is back.',
  bannerAttempt: (attempt) => `Attempt ${attempt}`,
  bannerCountdown: (seconds) => (seconds <= 0 ? 'retrying now' : `next try in ${seconds} s`),
  bannerRetrying: 'Trying to reconnect…',
  bannerRetry: 'Retry now',
  bannerRecovered: (chunks) => `Reconnected. Recovered ${chunks} ${chunks === 1 ? 'token' : 'tokens'}.`,
  bannerResuming: 'Reconnected. Catching up on the answer…',
  bannerAuthFailed: 'The chat service refused your credentials. Sign in again to continue.',
  bannerUnreachable: 'The chat service cannot be reached.',
  bannerProtocol: 'The connection to the chat service failed.',
  dismiss: 'Dismiss',
};

/** Merges overrides onto the defaults; `toolStates` and the two status maps merge key by key. */
export function mergeLabels(overrides?: Partial<ChatLabels>): ChatLabels {
  if (!overrides) return defaultLabels;
  return {
    ...defaultLabels,
    ...overrides,
    toolStates: { ...defaultLabels.toolStates, ...overrides.toolStates },
    connection: { ...defaultLabels.connection, ...overrides.connection },
    generation: { ...defaultLabels.generation, ...overrides.generation },
  };
}
