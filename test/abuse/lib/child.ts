/**
 * The child side of the abuse stage's processes: answers the parent's memory probes over IPC.
 * `heap` is V8 heap plus array buffers after full garbage collections (socket buffers are array
 * buffers, so a broker holding bytes for a slow client shows here); `rss` is reported, not judged.
 */
export interface MemorySample {
  heapMiB: number;
  rssMiB: number;
}

const MiB = 1024 * 1024;

export async function sampleMemory(): Promise<MemorySample> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('abuse stage children run with --expose-gc');
  // Several passes with turns of the event loop between: finalizers and weak refs settle.
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const usage = process.memoryUsage();
  return { heapMiB: (usage.heapUsed + usage.arrayBuffers) / MiB, rssMiB: usage.rss / MiB };
}

/** Answers `{ id, op }` messages from the parent with `{ id, result }` (or `{ id, error }`). */
export function serve(handlers: Record<string, () => unknown>): void {
  process.on('message', (message: { id: number; op: string }) => {
    Promise.resolve()
      .then(() => {
        const handler = handlers[message.op];
        if (!handler) throw new Error(`unknown op ${message.op}`);
        return handler();
      })
      .then(
        (result) => process.send?.({ id: message.id, result }),
        (error: unknown) => process.send?.({ id: message.id, error: error instanceof Error ? error.message : String(error) }),
      );
  });
}
