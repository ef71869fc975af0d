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
  nodelay: async () => (await import('./suites/nodelay.js')).runNoDelay,
  react: async () => (await import('./suites/react.js')).runReact,
  bundle: async () => (await import('./suites/bundle.js')).runBundle,
  anatomy: async () => (await import('./suites/anatomy.js')).runAnatomy,
  capacity: async () => (await import('./suites/capacity.js')).runCapacity,
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
  parts.push(...goals(), '');
  for (const name of Object.keys(SUITES)) {
    const file = join(resultsDir, `${name}.json`);
    if (!existsSync(file)) continue;
    const record = JSON.parse(readFileSync(file, 'utf8')) as { at: string; quick: boolean; tables: SuiteResult['tables'] };
    parts.push(`## ${name} (${record.at}${record.quick ? ', quick' : ''})`, '');
    for (const t of record.tables) parts.push(`### ${t.title}`, '', t.body, '');
  }
  writeFileSync(join(resultsDir, 'latest.md'), parts.join('\n'));
}

/** The goals, checked against the newest results (absent suites are reported as such). */
function goals(): string[] {
  const read = <T,>(name: string): T | null => {
    const file = join(resultsDir, `${name}.json`);
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { data: T }).data : null;
  };
  type Row = { contender: string; rate: number; latency: { p50: number }; bytesPerToken: number };
  const lines = ['## Goals', '', '| goal | result |', '| --- | --- |'];
  const latency = read<{ rows: Row[] }>('latency');
  if (latency) {
    const sse = (rate: number) => latency.rows.find((r) => r.contender === 'ai-sse' && r.rate === rate)!;
    for (const name of ['mqtt-aedes', 'mqtt-mosquitto', 'mqtt-aedes-deflate']) {
      if (!latency.rows.some((r) => r.contender === name)) continue;
      const p50 = latency.rows
        .filter((r) => r.contender === name)
        .map((r) => `${r.rate} tok/s ${r.latency.p50.toFixed(2)} vs ${sse(r.rate).latency.p50.toFixed(2)} ms (${(r.latency.p50 / sse(r.rate).latency.p50).toFixed(2)}x)`);
      lines.push(`| ${name} p50 latency ≤ SSE | ${p50.join('; ')} |`);
      const b = latency.rows.find((r) => r.contender === name && r.rate === 50)!;
      lines.push(`| ${name} bytes/token ≤ SSE at 50 tok/s | ${b.bytesPerToken.toFixed(1)} vs ${sse(50).bytesPerToken.toFixed(1)} B (${(b.bytesPerToken / sse(50).bytesPerToken).toFixed(2)}x) ${b.bytesPerToken <= sse(50).bytesPerToken ? 'met' : 'NOT met'} |`);
    }
  } else lines.push('| latency, bytes | latency suite not run |');
  const scale = read<{ rows: { broker: string; chats: number; lost: number }[] }>('scale');
  if (scale) {
    for (const r of scale.rows.filter((x) => x.chats === 1000 && !x.broker.includes('merge'))) lines.push(`| 1 000 concurrent chats, zero loss (${r.broker}) | lost ${r.lost} ${r.lost === 0 ? 'met' : 'NOT met'} |`);
  } else lines.push('| 1 000 chats | scale suite not run |');
  const react = read<{ tokens: number; rows: { variant: string; rowsPerCommit: number; otherRenders: number }[] }>('react');
  if (react) {
    for (const r of react.rows) {
      // A turn legitimately touches a few other rows once (the new user row mounts, the previous
      // answer loses its Regenerate button, a virtual row scrolls in); per token it must be none.
      const met = r.otherRenders <= 3;
      lines.push(`| only the live row re-renders (${r.variant}) | ${r.rowsPerCommit.toFixed(2)} rows per commit; other rows rendered ${r.otherRenders} times in ${react.tokens} tokens (one-offs per turn) ${met ? 'met' : 'NOT met'} |`);
    }
  } else lines.push('| live row only | react suite not run |');
  return lines;
}

await main();
