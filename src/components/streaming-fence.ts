/** A line that opens or closes a fenced code block (up to three spaces of indent, then ``` or ~~~). */
const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})/;

/**
 * The part of a growing answer that is ready to show: without a code fence that has opened but
 * holds no code yet. Shown as is, such a fence draws an empty code box (header, copy button,
 * padding) that the next token then reshapes, so the row hops (D13). The fence appears with its
 * first line of code instead. Text with no open fence, or a fence that has code, is unchanged.
 */
export function withoutEmptyOpenFence(text: string): string {
  let open: { marker: string; start: number; bodyStart: number } | null = null;
  let lineStart = 0;
  while (lineStart <= text.length) {
    const newline = text.indexOf('\n', lineStart);
    const lineEnd = newline < 0 ? text.length : newline;
    const fence = FENCE_LINE.exec(text.slice(lineStart, lineEnd));
    if (fence) {
      const marker = fence[1];
      if (open === null) open = { marker, start: lineStart, bodyStart: newline < 0 ? text.length : newline + 1 };
      // A fence closes with the same character, at least as long, and nothing else on the line.
      else if (marker[0] === open.marker[0] && marker.length >= open.marker.length && text.slice(lineStart, lineEnd).trim() === marker) open = null;
    }
    if (newline < 0) break;
    lineStart = newline + 1;
  }
  if (open === null) return text;
  // The opening line itself may still be growing (```ts…): nothing after it counts as code yet.
  const body = text.slice(open.bodyStart);
  if (open.bodyStart < text.length && body.trim().length > 0) return text;
  return text.slice(0, open.start).replace(/\s+$/, '');
}
