/**
 * Which model the demo talks to: the offline simulated model by default; Anthropic or OpenAI
 * (or any OpenAI-compatible server) when their environment variables are set.
 */
import type { LanguageModel } from 'ai';
import { createSimulatedModel, SIMULATED_MODEL_LABEL, type SimulatedModel } from './simulated-model.js';

export type ModelChoice = 'auto' | 'simulated' | 'anthropic' | 'openai';

export interface DemoModel {
  model: LanguageModel;
  /** What the page and the log show, e.g. `Simulated model` or `Anthropic claude-haiku-4-5`. */
  label: string;
  provider: 'simulated' | 'anthropic' | 'openai';
  /** Present for the simulated model: its calls, aborts and rate. */
  simulated?: SimulatedModel;
}

export const DEFAULT_ANTHROPIC_MODEL = 'claude-haiku-4-5';
export const DEFAULT_OPENAI_MODEL = 'gpt-4.1-mini';

export interface SelectModelOptions {
  choice?: ModelChoice;
  env: Record<string, string | undefined>;
  tokensPerSecond?: number;
  firstTokenDelayMs?: number;
}

/**
 * `auto` picks Anthropic when `ANTHROPIC_API_KEY` is set, else OpenAI when `OPENAI_API_KEY` or
 * `OPENAI_BASE_URL` is set, else the simulated model.
 */
export async function selectModel({ choice = 'auto', env, tokensPerSecond, firstTokenDelayMs }: SelectModelOptions): Promise<DemoModel> {
  const resolved =
    choice !== 'auto' ? choice
    : env.ANTHROPIC_API_KEY ? 'anthropic'
    : env.OPENAI_API_KEY || env.OPENAI_BASE_URL ? 'openai'
    : 'simulated';

  if (resolved === 'anthropic') {
    if (!env.ANTHROPIC_API_KEY) throw new Error('The Anthropic model needs ANTHROPIC_API_KEY.');
    const { createAnthropic } = await import('@ai-sdk/anthropic');
    const modelId = env.ANTHROPIC_MODEL || DEFAULT_ANTHROPIC_MODEL;
    const anthropic = createAnthropic({ apiKey: env.ANTHROPIC_API_KEY, baseURL: env.ANTHROPIC_BASE_URL || undefined });
    return { model: anthropic(modelId), label: `Anthropic ${modelId}`, provider: 'anthropic' };
  }
  if (resolved === 'openai') {
    if (!env.OPENAI_API_KEY && !env.OPENAI_BASE_URL) throw new Error('The OpenAI model needs OPENAI_API_KEY (or OPENAI_BASE_URL for a compatible local server).');
    const { createOpenAI } = await import('@ai-sdk/openai');
    const modelId = env.OPENAI_MODEL || DEFAULT_OPENAI_MODEL;
    const baseURL = env.OPENAI_BASE_URL || undefined;
    // Local servers (Ollama, LM Studio, vLLM, llama.cpp) speak Chat Completions, not the Responses API.
    const openai = createOpenAI({ apiKey: env.OPENAI_API_KEY || 'not-needed', baseURL });
    const model = baseURL ? openai.chat(modelId) : openai(modelId);
    return { model, label: baseURL ? `OpenAI-compatible ${modelId} at ${baseURL}` : `OpenAI ${modelId}`, provider: 'openai' };
  }
  const simulated = createSimulatedModel({ tokensPerSecond, firstTokenDelayMs });
  return { model: simulated.model, label: SIMULATED_MODEL_LABEL, provider: 'simulated', simulated };
}
