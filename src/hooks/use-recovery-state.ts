import type { UIMessage } from 'ai';
import type { RecoverySnapshot } from '../transport/chat-activity.js';
import type { ChatKitTransport } from './types.js';
import { useChatActivity } from './use-chat-activity.js';

/** What `useRecoveryState` returns: see {@link RecoverySnapshot}. */
export type RecoveryState = RecoverySnapshot;

/** The recovery axis: whether a resume is running and how many chunks the last one recovered. */
export function useRecoveryState<UI extends UIMessage>(transport: ChatKitTransport<UI>, chatId: string): RecoveryState {
  // The activity store keeps the `recovery` object's identity until recovery itself changes.
  return useChatActivity(transport, chatId).recovery;
}
