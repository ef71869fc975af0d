/**
 * `npm run bench [-- <suite>... ] [--quick]`: runs the benchmark suites (all by default), prints
 * their tables, writes raw results to `bench/results/<suite>.json`, and rebuilds
 * `bench/results/latest.md` from the newest result of every suite with the machine description.
 * Nothing here gates CI: numbers are for humans comparing alternatives measured in the same run.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SuiteContext, SuiteResult } from './lib/suite.js';
import { installWireCounter } from './lib/wire-bytes.js';

const SUITES: Record<string, () => Promise<(ctx: SuiteContext) => Promise<SuiteResult>>> = {
  latency: async () => (await import('./suites/latency.js')).runLatency,
  scale: async () => (await import('./suites/scale.js')).runScale,
  coalescing: async () => (await import('./suites/coalescing.js')).runCoalescing,
  framing: async () => (await import('./suites/framing.js')).runFraming,
  react: async () => (await import('./suites/react.js')).runReact,
  bundle: async () => (await import('./suites/bundle.js')).runBundle,
};

const here = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(here, 'results');

export function machine(): Record<string, string> {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? model;
  } catch {
    // not Linux
  }
  return { cpus: String(cpus().length), cpuModel: model, node: process.version, platform: `${process.platform} ${process.arch}` };
}

async function main(): Promise<void> {
  // Before any client socket exists: sockets opened earlier would not be counted.
  installWireCounter();
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const names = args.filter((a) => !a.startsWith('--'));
  const selected = names.length > 0 ? names : Object.keys(SUITES);
  for (const name of selected) if (!SUITES[name]) throw new Error(`Unknown suite "${name}". Suites: ${Object.keys(SUITES).join(', ')}`);
  mkdirSync(resultsDir, { recursive: true });
  const ctx: SuiteContext = { quick, log: (m) => console.error(`[bench] ${m}`) };
  let failed = false;
  for (const name of selected) {
    const started = Date.now();
    ctx.log(`${name}: start${quick ? ' (quick)' : ''}`);
    try {
      const run = await SUITES[name]();
      const result = await run(ctx);
      const record = { suite: name, quick, at: new Date().toISOString(), seconds: (Date.now() - started) / 1000, machine: machine(), ...result };
      writeFileSync(join(resultsDir, `${name}.json`), JSON.stringify(record, null, 2));
      for (const t of result.tables) console.log(`\n### ${t.title}\n\n${t.body}\n`);
      ctx.log(`${name}: done in ${record.seconds.toFixed(1)} s`);
    } catch (error) {
      failed = true;
      console.error(`[bench] ${name} failed:`, error);
    }
  }
  writeLatest();
  // Clients and brokers are closed; anything still holding the loop is a leak, not a reason to hang.
  process.exit(failed ? 1 : 0);
}

function writeLatest(): void {
  const m = machine();
  const parts = [
    '# Benchmark results',
    '',
    `Machine: ${m.cpus} vCPU (${m.cpuModel}), ${m.platform}, Node ${m.node}; shared with other work, so compare ratios within one run, not absolute times across runs.`,
    '',
  ];
  for (const name of Object.keys(SUITES)) {
    const file = join(resultsDir, `${name}.json`);
    if (!existsSync(file)) continue;
    const record = JSON.parse(readFileSync(file, 'utf8')) as { at: string; quick: boolean; tables: SuiteResult['tables'] };
    parts.push(`## ${name} (${record.at}${record.quick ? ', quick' : ''})`, '');
    for (const t of record.tables) parts.push(`### ${t.title}`, '', t.body, '');
  }
  writeFileSync(join(resultsDir, 'latest.md'), parts.join('\n'));
}

await main();
