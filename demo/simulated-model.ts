/**
 * The demo's offline model: the kit's scripted `LanguageModelV4` (`createScriptedModel` from
 * `./testing`) answering with realistic markdown (paragraphs, a list, a fenced code block) one
 * word at a time at a configurable rate. It stops the moment its call is aborted and counts it.
 * Deterministic: every answer is the same text in the same tokens, so the end-to-end tests can
 * assert the exact text.
 */
import { createScriptedModel, type ScriptedModel } from '../src/testing/index.js';

export const SIMULATED_MODEL_LABEL = 'Simulated model';
export const DEFAULT_TOKENS_PER_SECOND = 40;
/** Pause before the first token, like a real model's time to first token (the "thinking" state). */
export const DEFAULT_FIRST_TOKEN_DELAY_MS = 600;

const FENCE = '```';

/** The simulated model's answer to every prompt. */
export const SIMULATED_ANSWER = [
  'Here is how this demo streams an answer to your browser over MQTT.',
  '',
  "When you press **Send**, the page publishes your message on the chat's `request` topic. A worker picks it up, calls the model, and publishes every chunk on the `stream` topic with a sequence number.",
  '',
  '- **Lossless:** a gap in the sequence makes the page ask the worker to replay the missing chunks.',
  '- **Resumable:** after a dropped connection or a reload, the page catches up on the live answer.',
  '- **Stoppable:** Stop publishes an `abort` on the `control` topic, and the worker cancels the model call.',
  '',
  'A worker takes only a few lines:',
  '',
  `${FENCE}ts`,
  'const worker = await createChatWorker({',
  "  url: 'mqtt://127.0.0.1:1883',",
  '  handler: async ({ messages, abortSignal }) =>',
  '    streamText({ model, messages: await convertToModelMessages(messages), abortSignal }),',
  '});',
  FENCE,
  '',
  'This answer comes from the simulated model, so it is the same every time. Set `OPENAI_API_KEY` or `ANTHROPIC_API_KEY` to talk to a real one.',
].join('\n');

export interface SimulatedModelOptions {
  /** Default {@link DEFAULT_TOKENS_PER_SECOND}. */
  tokensPerSecond?: number;
  /** Default {@link DEFAULT_FIRST_TOKEN_DELAY_MS}. */
  firstTokenDelayMs?: number;
}

export interface SimulatedModel {
  model: ScriptedModel;
  tokensPerSecond: number;
}

export function createSimulatedModel(options: SimulatedModelOptions = {}): SimulatedModel {
  const tokensPerSecond = options.tokensPerSecond ?? DEFAULT_TOKENS_PER_SECOND;
  if (!(tokensPerSecond > 0)) throw new RangeError(`tokens per second must be a positive number (got ${tokensPerSecond})`);
  const model = createScriptedModel({
    text: SIMULATED_ANSWER,
    tokenDelayMs: 1000 / tokensPerSecond,
    firstTokenDelayMs: options.firstTokenDelayMs ?? DEFAULT_FIRST_TOKEN_DELAY_MS,
    modelId: 'simulated-markdown',
  });
  return { model, tokensPerSecond };
}
