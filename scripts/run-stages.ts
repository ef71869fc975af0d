/**
 * `npm test`: runs every test stage, even after one fails, then prints a summary and exits 1 naming
 * the stages that failed. The stage list lives here and nowhere else.
 *
 *   node --import tsx scripts/run-stages.ts                  # every stage
 *   node --import tsx scripts/run-stages.ts test:unit test:e2e   # a subset, in the order given
 *   TEST_HOG_STAGES=test:chaos npm test                        # chaos with every core kept busy
 *   TEST_HOG_STAGES=all npm test                               # every stage so (what CI runs)
 *
 * TEST_HOG_STAGES (space or comma separated, or `all`) names stages to run under
 * `scripts/with-cpu-hog.sh`: CI runs every stage that way, because a busy machine is when timing
 * assumptions break, and a test that passes only on a quiet machine is a flaky test.
 */
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';

/** Every stage of `npm test`, in order: each is an npm script. */
export const STAGES = ['test:unit', 'test:store', 'test:stories', 'test:abuse', 'test:chaos', 'test:cluster', 'test:e2e', 'test:packed'];

/** How one stage ended. */
export interface StageResult {
  stage: string;
  ok: boolean;
  seconds: number;
  /** The stage's failure lines (a test's name and the error's first line), for the summary. */
  failures: string[];
}

/** Most failure lines kept per stage: the summary names what failed, the log above has the rest. */
const MAX_FAILURE_LINES = 12;
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * Keeps the lines that say what failed: Vitest's `FAIL  project  file > test` with the error line
 * after it, and the packed check's `| step | FAIL |` rows. CI shows only the end of a long log, so
 * the summary repeats them there.
 */
function failureCollector(): { feed(chunk: Buffer): void; lines: string[] } {
  const lines: string[] = [];
  let partial = '';
  let wantError = false;
  const take = (raw: string) => {
    const line = raw.replace(ANSI, '').trim();
    if (lines.length >= MAX_FAILURE_LINES || line === '') return;
    if (wantError && !line.startsWith('FAIL')) {
      lines.push(`    ${line.slice(0, 300)}`);
      wantError = false;
      return;
    }
    if (/^FAIL\s+\S/.test(line) && line.includes(' > ')) {
      if (!lines.includes(line)) lines.push(line.slice(0, 300));
      wantError = true;
    } else if (/\|\s*FAIL\s*\|/.test(line)) lines.push(line.slice(0, 300));
  };
  return {
    lines,
    feed(chunk) {
      const text = partial + chunk.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      for (const part of parts) take(part);
    },
  };
}

/** The stages to run with every core kept busy (TEST_HOG_STAGES). */
const HOG_NAMES = (process.env.TEST_HOG_STAGES ?? '').split(/[\s,]+/).filter(Boolean);
const HOG_STAGES = new Set(HOG_NAMES.includes('all') ? STAGES : HOG_NAMES);

function runStage(stage: string): Promise<StageResult> {
  const started = performance.now();
  const command = ['npm', 'run', '--silent', stage];
  if (HOG_STAGES.has(stage)) command.unshift('bash', 'scripts/with-cpu-hog.sh');
  return new Promise((resolve) => {
    if (HOG_STAGES.has(stage)) console.log('(under a CPU hog on every core)');
    const child = spawn(command[0], command.slice(1), { stdio: ['inherit', 'pipe', 'pipe'] });
    const collector = failureCollector();
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      collector.feed(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      collector.feed(chunk);
    });
    const finish = (ok: boolean) => resolve({ stage, ok, seconds: (performance.now() - started) / 1000, failures: ok ? [] : collector.lines });
    child.on('error', () => finish(false));
    child.on('close', (code) => finish(code === 0));
  });
}

/** Runs the stages one after another; a failure does not stop the rest. */
export async function runStages(stages: string[]): Promise<StageResult[]> {
  const results: StageResult[] = [];
  for (const stage of stages) {
    console.log(`\n=== ${stage} ===`);
    results.push(await runStage(stage));
  }
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const requested = process.argv.slice(2);
  const results = await runStages(requested.length > 0 ? requested : STAGES);
  console.log('\n=== summary ===');
  for (const { stage, ok, seconds, failures } of results) {
    console.log(`${ok ? 'pass' : 'FAIL'}  ${stage.padEnd(16)} ${seconds.toFixed(0)} s${HOG_STAGES.has(stage) ? '  (CPU hog)' : ''}`);
    for (const line of failures) console.log(`      ${line}`);
  }
  const failed = results.filter((result) => !result.ok).map((result) => result.stage);
  if (failed.length > 0) {
    console.error(`\n${failed.length} of ${results.length} stages failed: ${failed.join(', ')}`);
    process.exit(1);
  }
  console.log(`\nall ${results.length} stages passed`);
}
