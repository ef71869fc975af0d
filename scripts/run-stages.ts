/**
 * `npm test`: runs every test stage, even after one fails, then prints a summary and exits 1 naming
 * the stages that failed. The stage list lives here and nowhere else.
 *
 *   node --import tsx scripts/run-stages.ts                  # every stage
 *   node --import tsx scripts/run-stages.ts test:unit test:e2e   # a subset, in the order given
 *   TEST_HOG_STAGES=test:chaos npm test                        # chaos with every core kept busy
 *
 * TEST_HOG_STAGES (space or comma separated) names stages to run under `scripts/with-cpu-hog.sh`:
 * CI runs the chaos stage that way, because a busy machine is when timing assumptions break.
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
}

/** The stages to run with every core kept busy (TEST_HOG_STAGES). */
const HOG_STAGES = new Set((process.env.TEST_HOG_STAGES ?? '').split(/[\s,]+/).filter(Boolean));

function runStage(stage: string): Promise<StageResult> {
  const started = performance.now();
  const command = ['npm', 'run', '--silent', stage];
  if (HOG_STAGES.has(stage)) command.unshift('bash', 'scripts/with-cpu-hog.sh');
  return new Promise((resolve) => {
    if (HOG_STAGES.has(stage)) console.log('(under a CPU hog on every core)');
    const child = spawn(command[0], command.slice(1), { stdio: 'inherit' });
    const finish = (ok: boolean) => resolve({ stage, ok, seconds: (performance.now() - started) / 1000 });
    child.on('error', () => finish(false));
    child.on('exit', (code) => finish(code === 0));
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
  for (const { stage, ok, seconds } of results) console.log(`${ok ? 'pass' : 'FAIL'}  ${stage.padEnd(16)} ${seconds.toFixed(0)} s${HOG_STAGES.has(stage) ? '  (CPU hog)' : ''}`);
  const failed = results.filter((result) => !result.ok).map((result) => result.stage);
  if (failed.length > 0) {
    console.error(`\n${failed.length} of ${results.length} stages failed: ${failed.join(', ')}`);
    process.exit(1);
  }
  console.log(`\nall ${results.length} stages passed`);
}
