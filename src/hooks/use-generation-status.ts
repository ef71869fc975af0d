import { useMemo } from 'react';
import type { UIMessage } from 'ai';
import type { ChatActivitySnapshot } from '../transport/chat-activity.js';
import type { TurnState } from '../transport/envelope.js';
import type { ChatKitTransport } from './types.js';
import { useChatActivity } from './use-chat-activity.js';

/** What the worker reports about the latest turn; `idle` before any turn. */
export type GenerationStatus = TurnState | 'idle';

/** The generation axis: the worker's view of the turn, independent of the connection. */
export interface GenerationState {
  status: GenerationStatus;
  /** The worker is on it: queued, thinking or generating. */
  isActive: boolean;
  requestId: string | null;
  /** Error text when `status` is `error`. */
  error: string | null;
  /** True when this browser tab started the turn (false for turns from another device). */
  startedHere: boolean;
}

const ACTIVE: ReadonlySet<GenerationStatus> = new Set(['queued', 'thinking', 'generating']);

/** True while the worker is queued, thinking or generating. */
export function isActiveGeneration(status: GenerationStatus): boolean {
  return ACTIVE.has(status);
}

/** Derives the generation axis from an activity snapshot (stable while its fields are). */
export function useGenerationFromActivity(activity: ChatActivitySnapshot): GenerationState {
  const { generation, requestId, error, startedHere } = activity;
  return useMemo(
    () => ({ status: generation, isActive: ACTIVE.has(generation), requestId, error, startedHere }),
    [generation, requestId, error, startedHere],
  );
}

/** The worker's status of a chat's latest turn: queued / thinking / generating / done / error / aborted. */
export function useGenerationStatus<UI extends UIMessage>(transport: ChatKitTransport<UI>, chatId: string): GenerationState {
  return useGenerationFromActivity(useChatActivity(transport, chatId));
}
