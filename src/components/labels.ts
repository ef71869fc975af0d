/**
 * Every built-in string of the components, in one place. Pass a partial object as `labels`
 * to any component (or to `ChatWindow`, which hands it down) to translate or reword.
 */
export interface ChatLabels {
  transcript: string;
  /** The transcript's name when the window has a name (`ChatWindow` `name` or a string `title`). */
  transcriptNamed: (name: string) => string;
  emptyState: string;
  you: string;
  assistant: string;
  system: string;
  inputLabel: string;
  inputPlaceholder: string;
  send: string;
  stop: string;
  composerHint: string;
  /** Why Send is disabled while the connection is down (the default: nothing is queued). */
  offlineReason: string;
  /** Shown instead of `offlineReason` when the app queues offline sends (`offlineSend="queue"`). */
  offlineReasonQueued: string;
  connectionErrorReason: string;
  /** Polite hint when Enter is pressed while an answer is still coming. */
  busyHint: string;
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
  generation: Record<'idle' | 'queued' | 'thinking' | 'generating' | 'catching-up' | 'done' | 'error' | 'aborted', string>;
  statusSeparator: string;
  bannerReconnecting: string;
  bannerOffline: string;
  bannerAttempt: (attempt: number) => string;
  bannerCountdown: (seconds: number) => string;
  bannerRetrying: string;
  bannerRetry: string;
  /** After a resume; `chunks` is how much of the answer arrived late, if the wording wants it. */
  bannerRecovered: (chunks: number) => string;
  bannerResuming: string;
  bannerAuthFailed: string;
  bannerUnreachable: string;
  bannerProtocol: string;
  dismiss: string;
  /** The row between Send and the first token. */
  thinking: string;
  /** Marks on an answer that did not finish. */
  messageStopped: string;
  messageStoppedEmpty: string;
  messagePaused: string;
  /** On a prompt sent while offline, until the connection takes it. */
  messagePending: string;
  messageInterrupted: string;
  /** The toolbar under a message. */
  messageActions: string;
  edit: string;
  editInputLabel: string;
  editSave: string;
  editCancel: string;
  feedbackUp: string;
  feedbackDown: string;
  versionPrevious: string;
  versionNext: string;
  /** "‹ 1/2 ›" pager text and its spoken form. */
  versionPosition: (index: number, count: number) => string;
  versionPositionSpoken: (index: number, count: number) => string;
  /** Accessible name of a scrollable code block; `language` may be empty. */
  codeBlock: (language: string) => string;
  toolApprove: string;
  toolDeny: string;
  toolDuration: (ms: number) => string;
  reasoningStreaming: string;
  reasoningDone: (seconds: number | null) => string;
  attach: string;
  attachments: string;
  removeAttachment: (name: string) => string;
  attachmentTooLarge: (name: string, limit: string) => string;
  attachmentsTooLarge: (limit: string) => string;
  dropFiles: string;
  suggestions: string;
  followUps: string;
  loadingHistory: string;
  loadingOlder: string;
  showOlder: string;
  historyError: string;
  /** Chat list. */
  chatList: string;
  newChat: string;
  untitledChat: string;
  chatListEmpty: string;
  chatListLoading: string;
  chatListError: string;
  rename: (title: string) => string;
  renameInputLabel: string;
  remove: (title: string) => string;
  confirmRemove: (title: string) => string;
  confirm: string;
  cancel: string;
}

/** Every built-in English string; override some with `labels`. */
export const defaultLabels: ChatLabels = {
  transcript: 'Conversation',
  transcriptNamed: (name) => `Conversation: ${name}`,
  emptyState: 'No messages yet. Ask anything to start.',
  you: 'You',
  assistant: 'Assistant',
  system: 'System',
  inputLabel: 'Message',
  inputPlaceholder: 'Write a message…',
  send: 'Send',
  stop: 'Stop',
  composerHint: 'Enter to send, Shift+Enter for a new line',
  offlineReason: 'Not connected. You can send once the connection is back.',
  offlineReasonQueued: 'Not connected. Messages you send now will be sent when the connection is back.',
  connectionErrorReason: 'Sending is paused: the chat service refused the connection.',
  busyHint: 'Wait for the answer to finish, or press Escape to stop it.',
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
    'catching-up': 'Catching up',
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
  bannerRecovered: () => 'Reconnected. The answer is up to date.',
  bannerResuming: 'Reconnected. Catching up on the answer…',
  bannerAuthFailed: 'The chat service refused your credentials. Sign in again to continue.',
  bannerUnreachable: 'The chat service cannot be reached.',
  bannerProtocol: 'The connection to the chat service failed.',
  dismiss: 'Dismiss',
  thinking: 'Thinking…',
  messageStopped: 'Stopped',
  messageStoppedEmpty: 'Stopped before the answer started.',
  messagePaused: 'Paused while reconnecting…',
  messagePending: 'Waiting for the connection to send…',
  messageInterrupted: 'Interrupted',
  messageActions: 'Message actions',
  edit: 'Edit',
  editInputLabel: 'Edit your message',
  editSave: 'Send',
  editCancel: 'Cancel',
  feedbackUp: 'Good answer',
  feedbackDown: 'Bad answer',
  versionPrevious: 'Previous version',
  versionNext: 'Next version',
  versionPosition: (index, count) => `${index}/${count}`,
  versionPositionSpoken: (index, count) => `Version ${index} of ${count}`,
  codeBlock: (language) => (language ? `Code, ${language}` : 'Code'),
  toolApprove: 'Approve',
  toolDeny: 'Deny',
  toolDuration: (ms) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`),
  reasoningStreaming: 'Thinking…',
  reasoningDone: (seconds) => (seconds === null ? 'Thoughts' : seconds < 1 ? 'Thought for a moment' : `Thought for ${seconds} s`),
  attach: 'Attach files',
  attachments: 'Attachments',
  removeAttachment: (name) => `Remove ${name}`,
  attachmentTooLarge: (name, limit) => `${name} is too large to send (limit ${limit}).`,
  attachmentsTooLarge: (limit) => `Together the attachments are too large to send (limit ${limit}).`,
  dropFiles: 'Drop files to attach',
  suggestions: 'Suggestions',
  followUps: 'Suggested follow-ups',
  loadingHistory: 'Loading the conversation…',
  loadingOlder: 'Loading older messages…',
  showOlder: 'Show older messages',
  historyError: 'The conversation could not be loaded.',
  chatList: 'Chats',
  newChat: 'New chat',
  untitledChat: 'Untitled chat',
  chatListEmpty: 'No chats yet.',
  chatListLoading: 'Loading chats…',
  chatListError: 'The chats could not be loaded.',
  rename: (title) => `Rename ${title}`,
  renameInputLabel: 'Chat title',
  remove: (title) => `Delete ${title}`,
  confirmRemove: (title) => `Delete “${title}”?`,
  confirm: 'Delete',
  cancel: 'Cancel',
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
