/** Benchmark 7: gzip size of the browser entry, peers excluded, against the CI budget. */
import { existsSync } from 'node:fs';
import { measureBundle } from '../lib/bundle-size.js';
import { fmt, table } from '../lib/stats.js';
import type { SuiteContext, SuiteResult } from '../lib/suite.js';

export async function runBundle(ctx: SuiteContext): Promise<SuiteResult> {
  if (!existsSync('dist/index.js')) throw new Error('dist/index.js is missing: run `npm run build` first.');
  const { BUDGET } = await import('../../scripts/check-bundle.js');
  const sizes = await measureBundle(process.cwd());
  ctx.log(`bundle: kit ${sizes.kitGzipBytes} B gzip, shipped ${sizes.shippedGzipBytes} B gzip`);
  const kb = (n: number) => fmt(n / 1024, 1);
  return {
    tables: [
      {
        title: '7. Bundle: browser entry, gzip -9, peers (React, AI SDK) excluded',
        body: table(
          ['what', 'gzip KiB', 'budget KiB', 'of budget'],
          [
            ["kit's own code (dist/index.js + its chunks)", kb(sizes.kitGzipBytes), kb(BUDGET.kitGzipBytes), `${fmt((sizes.kitGzipBytes / BUDGET.kitGzipBytes) * 100, 0)}%`],
            ['shipped before first render (deps bundled, minified)', kb(sizes.shippedGzipBytes), kb(BUDGET.shippedGzipBytes), `${fmt((sizes.shippedGzipBytes / BUDGET.shippedGzipBytes) * 100, 0)}%`],
            ['lazy chunks (code highlighting), on demand', kb(sizes.lazyGzipBytes), '–', '–'],
          ],
        ),
      },
      { title: '7b. Largest parts of the shipped bundle (minified, before gzip)', body: table(['package', 'KiB'], sizes.topInputs.map((i) => [i.path, kb(i.bytes)])) },
    ],
    data: { sizes, budget: BUDGET },
  };
}
