/** Benchmark 7: gzip size of the browser entry, peers excluded, against the CI budget. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The gate owns measuring and budget; the bench only reads them (the dependency runs one way).
import { measureBundle } from '../../scripts/bundle-size.js';
import { BUDGET } from '../../scripts/check-bundle.js';
import { fmt, table } from '../lib/stats.js';
import type { SuiteContext, SuiteResult } from '../lib/suite.js';

export async function runBundle(ctx: SuiteContext): Promise<SuiteResult> {
  // A fresh library build of the current sources, outside dist/ (others may be using dist/).
  const outDir = mkdtempSync(join(tmpdir(), 'csk-dist-'));
  let sizes;
  try {
    execFileSync('npx', ['vite', 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'error'], { stdio: 'inherit' });
    if (!existsSync(join(outDir, 'index.js'))) throw new Error('the library build wrote no index.js');
    sizes = await measureBundle(process.cwd(), outDir);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  ctx.log(`bundle: kit ${sizes.kitGzipBytes} B gzip, shipped ${sizes.shippedGzipBytes} B gzip`);
  const kb = (n: number) => fmt(n / 1024, 1);
  return {
    tables: [
      {
        title: '7. Bundle: browser entry, gzip -9, peers (React, AI SDK) excluded',
        body: table(
          ['what', 'gzip KiB', 'budget KiB', 'of budget'],
          [
            ["kit's own code (dist/index.js + dist/react.js + their chunks)", kb(sizes.kitGzipBytes), kb(BUDGET.kitGzipBytes), `${fmt((sizes.kitGzipBytes / BUDGET.kitGzipBytes) * 100, 0)}%`],
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
