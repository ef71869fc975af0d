import { streamText, convertToModelMessages } from 'ai';
import type { ChatTurnHandler } from '@cloudsignal/ai-chat-kit/server';
import { createScriptedModel } from '@cloudsignal/ai-chat-kit/testing';

/**
 * A simulated model so the example runs offline: it answers every prompt with the same text, one
 * word at a time. Swap in a real one, e.g. `anthropic('claude-sonnet-4-5')` from `@ai-sdk/anthropic`.
 */
export const SIMULATED_ANSWER = 'Hello from the simulated model. This answer travelled over MQTT, one token at a time.';
const model = createScriptedModel({ text: SIMULATED_ANSWER, tokenDelayMs: 20 });

/** One chat turn: the same for the MQTT worker and the HTTP trigger. */
export const chatTurn: ChatTurnHandler = async ({ messages, abortSignal }) =>
  streamText({ model, messages: await convertToModelMessages(messages), abortSignal });
