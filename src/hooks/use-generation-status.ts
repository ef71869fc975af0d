import { useMemo } from 'react';
import type { UIMessage } from 'ai';
import type { ChatActivitySnapshot } from '../transport/chat-activity.js';
import type { ChatTurnState } from '../transport/chat-activity.js';
import type { ChatKitTransport } from './types.js';
import { useChatActivity } from './use-chat-activity.js';

/**
 * The latest turn's state: what the worker reports, `idle` before any turn, and `catching-up`
 * while the worker has finished but this page has not received the end yet (never "done" early).
 */
export type GenerationStatus = ChatTurnState;

/** The generation axis: the worker's view of the turn, independent of the connection. */
export interface GenerationState {
  status: GenerationStatus;
  /** The answer is still coming to this page: queued, thinking, generating or catching up. */
  isActive: boolean;
  requestId: string | null;
  /** Error text when `status` is `error`. */
  error: string | null;
  /** True when this browser tab started the turn (false for turns from another device). */
  startedHere: boolean;
}

const ACTIVE: ReadonlySet<GenerationStatus> = new Set(['queued', 'thinking', 'generating', 'catching-up']);

/** True while the answer is still coming: queued, thinking, generating or catching up. */
export function isActiveGeneration(status: GenerationStatus): boolean {
  return ACTIVE.has(status);
}

/**
 * Derives the generation axis from an activity snapshot (stable while its fields are).
 * `stillReading`: this page's chat is still consuming a turn's stream; a `done` turn then shows
 * `catching-up` until it has, so "Done" never stands over a row whose text is still arriving.
 */
export function useGenerationFromActivity(activity: ChatActivitySnapshot, stillReading = false): GenerationState {
  const { requestId, error, startedHere } = activity;
  const turnState: GenerationStatus = stillReading && activity.turnState === 'done' ? 'catching-up' : activity.turnState;
  return useMemo(
    () => ({ status: turnState, isActive: ACTIVE.has(turnState), requestId, error, startedHere }),
    [turnState, requestId, error, startedHere],
  );
}

/** The state of a chat's latest turn: queued / thinking / generating / catching-up / done / error / aborted. */
export function useGenerationStatus<UI extends UIMessage>(transport: ChatKitTransport<UI>, chatId: string): GenerationState {
  return useGenerationFromActivity(useChatActivity(transport, chatId));
}
