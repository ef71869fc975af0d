/**
 * Scenario results. Each test file appends its rows to `test-results/chaos/rows.jsonl`; the global
 * teardown prints them as one table and writes `test-results/chaos.json`.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface ScenarioRow {
  scenario: string;
  broker: string;
  turns: number;
  disconnects: number;
  /** Text chunks (deltas) rendered across all turns. */
  chunks: number;
  /** Replays: resumed streams replayed from `start`, plus gap replays the transports asked for. */
  replays: number;
  mismatches: number;
  /** Free-form measurements: reconnect spread, worker distribution, heap, subscriptions... */
  notes: Record<string, unknown>;
  durationMs: number;
}

export const RESULTS_DIR = resolve(import.meta.dirname, '../../../test-results');
export const ROWS_FILE = resolve(RESULTS_DIR, 'chaos/rows.jsonl');

export function recordRow(row: ScenarioRow): void {
  mkdirSync(dirname(ROWS_FILE), { recursive: true });
  appendFileSync(ROWS_FILE, `${JSON.stringify(row)}\n`);
}
