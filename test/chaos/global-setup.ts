/**
 * Vitest global setup of the chaos suite: starts every run with an empty row file and, at the
 * end, prints the results table and writes `test-results/chaos.json`.
 */
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { RESULTS_DIR, ROWS_FILE, type ScenarioRow } from './lib/results.js';
import { formatTable } from './lib/table.js';

export function setup(): () => void {
  rmSync(ROWS_FILE, { force: true });
  return () => {
    const rows: ScenarioRow[] = existsSync(ROWS_FILE)
      ? readFileSync(ROWS_FILE, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as ScenarioRow)
      : [];
    const order = (row: ScenarioRow) => `${row.scenario}|${row.broker}`;
    rows.sort((a, b) => order(a).localeCompare(order(b)));
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(resolve(RESULTS_DIR, 'chaos.json'), `${JSON.stringify({ generatedAt: new Date().toISOString(), rows }, null, 2)}\n`);
    console.log(`\nChaos suite results (test-results/chaos.json)\n${formatTable(rows)}\n`);
  };
}
