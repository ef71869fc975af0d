/** Heap used after a full garbage collection, in bytes (gc exposed at runtime, no CLI flag needed). */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

export async function heapAfterGc(): Promise<number> {
  // Several passes with turns of the event loop between: finalizers and weak refs settle.
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return process.memoryUsage().heapUsed;
}
