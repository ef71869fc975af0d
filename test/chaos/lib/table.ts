/** Formats scenario rows as a fixed-width text table for the end of the run. */
import type { ScenarioRow } from './results.js';

const COLUMNS: Array<{ title: string; value: (row: ScenarioRow) => string }> = [
  { title: 'scenario', value: (r) => r.scenario },
  { title: 'broker', value: (r) => r.broker },
  { title: 'turns', value: (r) => String(r.turns) },
  { title: 'disconnects', value: (r) => String(r.disconnects) },
  { title: 'chunks', value: (r) => String(r.chunks) },
  { title: 'replays', value: (r) => String(r.replays) },
  { title: 'mismatches', value: (r) => String(r.mismatches) },
  { title: 'secs', value: (r) => (r.durationMs / 1000).toFixed(1) },
  { title: 'notes', value: (r) => Object.entries(r.notes).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ') },
];

export function formatTable(rows: ScenarioRow[]): string {
  const cells = rows.map((row) => COLUMNS.map((column) => column.value(row)));
  const widths = COLUMNS.map((column, i) => Math.max(column.title.length, ...cells.map((line) => (i === COLUMNS.length - 1 ? 0 : line[i].length))));
  const line = (values: string[]) => values.map((value, i) => (i === values.length - 1 ? value : value.padEnd(widths[i]))).join(' | ');
  const totals = rows.reduce((sum, r) => ({ turns: sum.turns + r.turns, disconnects: sum.disconnects + r.disconnects, mismatches: sum.mismatches + r.mismatches }), { turns: 0, disconnects: 0, mismatches: 0 });
  return [
    line(COLUMNS.map((c) => c.title)),
    widths.map((w) => '-'.repeat(w)).join('-+-'),
    ...cells.map(line),
    `total: ${totals.turns} turns, ${totals.disconnects} disconnects, ${totals.mismatches} mismatches`,
  ].join('\n');
}
