/** The contract between `bench/run.ts` and each suite. */
export interface SuiteContext {
  quick: boolean;
  log(message: string): void;
}

export interface SuiteResult {
  tables: { title: string; body: string }[];
  /** Raw numbers, written to bench/results/<suite>.json. */
  data: unknown;
}
