/** One React commit as the benchmark page records it and the Node suite reads it back. */
export interface Commit {
  phase: string;
  ms: number;
  at: number;
  rows: number;
  /** Message ids of the rows that rendered in this commit. */
  ids?: string[];
  /** The chat's status when this commit rendered (`streaming` once the answer's first chunk is in). */
  status?: string;
  /** The streaming answer's message id, once it exists. */
  liveId?: string;
}
