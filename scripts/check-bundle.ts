/**
 * CI bundle budget for the browser entries (`dist/index.js` + `dist/react.js`), peers excluded: fails (exit 1) when
 * the kit's own code or what an app ships before first render grows past its budget.
 * Run after the build: `npm run build && npm run check:bundle`.
 *
 * Budgets are the sizes measured when they were set plus ~15% headroom (bench/results/latest.md
 * has the measurement). Raise one only with a reason in the commit message.
 */
import { pathToFileURL } from 'node:url';
import { measureBundle } from './bundle-size.js';

/**
 * gzip bytes. Measured 2026-11-21: kit 20 275, shipped 299 315 (MQTT.js ~100 KB of it, streamdown + parse5 + marked ~90 KB).
 * Raised 2026-12-02 for the kit's own code: measured 42 800 after the conversation layer (turn registry, outbox,
 * query client, history sync, chat list), the chat window's parity parts (tool cards, reasoning, versions,
 * attachments, suggestions, ChatList) and the plain-token transport. The shipped total still fits its old budget.
 */
export const BUDGET = {
  kitGzipBytes: 48_000,
  shippedGzipBytes: 345_000,
};

async function check(): Promise<void> {
const sizes = await measureBundle(process.cwd());
const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
let over = false;
for (const key of Object.keys(BUDGET) as (keyof typeof BUDGET)[]) {
  const ok = sizes[key] <= BUDGET[key];
  over ||= !ok;
  console.log(`${ok ? 'ok  ' : 'OVER'} ${key}: ${kb(sizes[key])} of ${kb(BUDGET[key])} (${((sizes[key] / BUDGET[key]) * 100).toFixed(0)}%)`);
}
console.log(`lazy chunks (not budgeted, loaded on demand): ${kb(sizes.lazyGzipBytes)}`);
console.log(`largest parts of the shipped bundle (minified bytes): ${sizes.topInputs.map((i) => `${i.path} ${kb(i.bytes)}`).join(', ')}`);
if (over) {
  console.error('Bundle budget exceeded: see which part grew above, or raise the budget in scripts/check-bundle.ts with a reason.');
  process.exit(1);
}
}

// Also imported by the bench's bundle suite for the budget: only check when run directly.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await check();
