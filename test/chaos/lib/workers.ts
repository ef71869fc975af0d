/**
 * In-process chat workers for the chaos scenarios. The handler answers with the scripted text the
 * client asked for in its body (`chaos: { key, tokens, delayMs }`), so client and worker agree on
 * the exact answer without sharing state, and it logs which worker served which request.
 */
import { createChatWorker, type ChatWorker, type ChatWorkerOptions } from '../../../src/server/index.js';
import { scriptedChunkStream, turnText } from './script.js';

export interface ChaosScript {
  key: string;
  tokens: number;
  delayMs: number;
}

export function scriptBody(script: ChaosScript): Record<string, unknown> {
  return { chaos: script };
}

export function expectedText(script: ChaosScript): string {
  return turnText(script.key, script.tokens);
}

export interface ChaosWorker {
  worker: ChatWorker;
  /** Request ids this worker ran its handler for (each must appear under one worker only). */
  served: string[];
  /** The script keys of those turns, in the same order. */
  servedKeys: string[];
  /** Turns started, also when ids are not recorded. */
  readonly servedCount: number;
}

export async function startChaosWorker(
  url: string,
  workerId: string,
  extra: Partial<ChatWorkerOptions> = {},
  onServe?: (key: string, requestId: string) => void,
  /** Record ids and keys (off in the soak, whose heap must show the kit's memory only). */
  record = true,
): Promise<ChaosWorker> {
  const served: string[] = [];
  const servedKeys: string[] = [];
  let servedCount = 0;
  const worker = await createChatWorker({
    url,
    workerId,
    // The suite drives one user far above a human's pace; the limiter is tested elsewhere.
    rateLimit: false,
    handler: ({ body, requestId, abortSignal }) => {
      const script = body.chaos as ChaosScript;
      servedCount++;
      if (record) {
        served.push(requestId);
        servedKeys.push(script.key);
      }
      onServe?.(script.key, requestId);
      return scriptedChunkStream({ text: turnText(script.key, script.tokens), tokenDelayMs: script.delayMs, signal: abortSignal });
    },
    ...extra,
  });
  return {
    worker,
    served,
    servedKeys,
    get servedCount() {
      return servedCount;
    },
  };
}
