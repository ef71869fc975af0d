/**
 * How a streaming answer is cut so that a token re-parses a bounded amount of markdown.
 *
 * Streamdown re-parses only the last block of a growing answer, but a block can be one long
 * paragraph: every token then re-parsed the whole paragraph, and the commit grew with it (the
 * React benchmark streams a 6 KB paragraph). The paragraph is cut between words into runs that
 * never change once cut, so a token re-parses only the words after the last cut. A cut is made
 * only where no inline syntax is open (inline markdown never spans a space it does not open
 * itself), so each run parses as it would inside the paragraph.
 * The settled answer is rendered whole, as before: the cut only ever shows while streaming.
 */

/** A paragraph shorter than this is parsed whole; longer ones are cut into runs about this long. */
export const RUN_LENGTH = 400;

/** A streaming text, cut for rendering. */
export interface StreamingSegments {
  /** Whole blocks before the last one; unchanged while the last block grows. */
  head: string;
  /** Finished runs of the last paragraph; each never changes once it is here. */
  runs: readonly string[];
  /** The growing end of the last block. */
  tail: string;
}

const FENCE_LINES = /^ {0,3}(?:`{3,}|~{3,})/gm;
/** A block that is not a plain paragraph: heading, quote, list, table, fence, HTML, indented code, link definition. */
const NOT_A_PARAGRAPH = /^(?: {4}|\t| {0,3}(?:[#>*+|<\[-]|\d{1,9}[.)]|`{3}|~{3}))/;
/** Inline syntax with no opener/closer pairing to count: a cut near it could change its meaning. */
const UNPAIRED = /[<$\\]/;

function count(text: string, char: string): number {
  let n = 0;
  for (let i = text.indexOf(char); i >= 0; i = text.indexOf(char, i + 1)) n++;
  return n;
}

/** Delimiter runs of `char` (`**` is one run): each opens or closes emphasis, code or strikethrough. */
function delimiterRuns(text: string, char: string): number {
  let n = 0;
  for (let i = text.indexOf(char); i >= 0; i = text.indexOf(char, i + 1)) {
    if (text[i - 1] !== char) n++;
  }
  return n;
}

/**
 * No emphasis, code span, strikethrough or link is open across the end of `run`: every delimiter
 * run has a partner. Conservative: a literal `*` also blocks a cut until another one follows.
 */
function closed(run: string): boolean {
  return (
    !UNPAIRED.test(run) &&
    delimiterRuns(run, '`') % 2 === 0 &&
    delimiterRuns(run, '*') % 2 === 0 &&
    delimiterRuns(run, '_') % 2 === 0 &&
    delimiterRuns(run, '~') % 2 === 0 &&
    count(run, '[') === count(run, ']') &&
    count(run, '(') === count(run, ')')
  );
}

/**
 * Cuts `text` (the answer so far) into the blocks before its last one, finished runs of the last
 * paragraph, and the growing tail. Cuts depend only on the text before them, so a longer text
 * keeps every earlier cut: runs are stable across tokens.
 */
export function streamingSegments(text: string): StreamingSegments {
  const whole: StreamingSegments = { head: '', runs: [], tail: text };
  const blank = text.lastIndexOf('\n\n');
  const blockStart = blank < 0 ? 0 : blank + 2;
  const head = text.slice(0, blockStart);
  const block = text.slice(blockStart);
  // Short, or not a plain one-line paragraph (a line break could start a list, a heading
  // underline, a table): Streamdown's own block handling, as before.
  if (block.length < RUN_LENGTH * 2 || block.includes('\n') || NOT_A_PARAGRAPH.test(block)) return whole;
  // Inside an open code fence a blank line does not end the block.
  if ((head.match(FENCE_LINES) ?? []).length % 2 === 1) return whole;
  const runs: string[] = [];
  let start = 0;
  for (let i = block.indexOf(' ', RUN_LENGTH); i > 0 && i < block.length - 1; i = block.indexOf(' ', i + 1)) {
    if (i - start < RUN_LENGTH) continue;
    const run = block.slice(start, i);
    if (!closed(run)) {
      // Syntax with no closer to wait for stays in every longer run too: stop cutting.
      if (UNPAIRED.test(run)) break;
      continue;
    }
    runs.push(run);
    start = i + 1;
  }
  if (runs.length === 0) return whole;
  return { head, runs, tail: block.slice(start) };
}
