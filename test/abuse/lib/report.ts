/** The stage's table: printed at the end and written to bench/results/abuse.json. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { MemorySample } from './child.js';

export interface PhaseMemory {
  before: MemorySample;
  during: MemorySample;
  after: MemorySample;
}

export interface AbuseRow {
  attack: string;
  finding: string;
  victimTurns: number;
  /** Victim turns whose text, chunk sequence or status was not exact. */
  lostOrWrong: number;
  victimDisconnects: number;
  p99QuietMs: number;
  p99Ms: number;
  broker: PhaseMemory;
  worker: PhaseMemory;
  /** Documented bound on the broker's growth during this attack, MiB (budgets + allowance). */
  brokerBoundMiB: number;
  workerBoundMiB: number;
  /** What the broker's stats() counted during the phase, and what the attacker saw. */
  refused: Record<string, number>;
  attacker: Record<string, number>;
}

export const RESULTS_FILE = resolve(import.meta.dirname, '../../../bench/results/abuse.json');

const mib = (value: number) => value.toFixed(1);
const memory = (phase: PhaseMemory) => `${mib(phase.before.heapMiB)} / ${mib(phase.during.heapMiB)} / ${mib(phase.after.heapMiB)}`;

export function formatTable(rows: AbuseRow[]): string {
  const header = ['attack', 'finding', 'turns', 'lost', 'disc.', 'p99 quiet ms', 'p99 ms', 'ratio', 'broker MiB before/during/after', 'bound', 'worker MiB before/during/after', 'bound', 'refused by broker'];
  const cells = rows.map((row) => [
    row.attack,
    row.finding,
    String(row.victimTurns),
    String(row.lostOrWrong),
    String(row.victimDisconnects),
    String(Math.round(row.p99QuietMs)),
    String(Math.round(row.p99Ms)),
    (row.p99Ms / row.p99QuietMs).toFixed(2),
    memory(row.broker),
    `+${mib(row.brokerBoundMiB)}`,
    memory(row.worker),
    `+${mib(row.workerBoundMiB)}`,
    Object.entries(row.refused)
      .filter(([, value]) => value > 0)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ') || '-',
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((line) => line[i].length)));
  const line = (values: string[]) => values.map((value, i) => value.padEnd(widths[i])).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-+-'), ...cells.map(line)].join('\n');
}

export function writeResults(rows: AbuseRow[], limits: unknown): void {
  mkdirSync(dirname(RESULTS_FILE), { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify({ generatedAt: new Date().toISOString(), machine: { cpus: cpus().length, node: process.version }, limits, rows }, null, 2)}\n`);
}

/** The same table in Markdown, for docs/security.md. */
export function markdownTable(rows: AbuseRow[]): string {
  const header = '| Attack | Finding | Victim turns | Lost | Victim disconnects | p99 quiet (ms) | p99 under attack (ms) | Ratio | Broker MiB before / during / after (bound) | Worker MiB before / during / after (bound) | Refused by the broker |';
  const lines = rows.map(
    (row) =>
      `| ${row.attack} | ${row.finding} | ${row.victimTurns} | ${row.lostOrWrong} | ${row.victimDisconnects} | ${Math.round(row.p99QuietMs)} | ${Math.round(row.p99Ms)} | ${(row.p99Ms / row.p99QuietMs).toFixed(2)} | ${memory(row.broker)} (+${mib(row.brokerBoundMiB)}) | ${memory(row.worker)} (+${mib(row.workerBoundMiB)}) | ${
        Object.entries(row.refused)
          .filter(([, value]) => value > 0)
          .map(([key, value]) => `${key} ${value}`)
          .join(', ') || '—'
      } |`,
  );
  return [header, `|${'---|'.repeat(11)}`, ...lines].join('\n');
}
