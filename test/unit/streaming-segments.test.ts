import { describe, expect, it } from 'vitest';
import { RUN_LENGTH, streamingSegments } from '../../src/components/streaming-segments.js';

/** A long paragraph of sentences, some with inline syntax, like a model's answer. */
function paragraph(sentences: number): string {
  const out: string[] = [];
  for (let i = 0; i < sentences; i++) {
    out.push(
      i % 5 === 1
        ? `Sentence ${i} has **bold words** and \`code()\` in it, with a [link](https://example.com/${i}).`
        : i % 7 === 3
          ? `Sentence ${i} starts *emphasis that runs on. Into the next sentence* before it closes!`
          : `Sentence ${i} is plain prose about streaming tokens over a broker, nothing more to it?`,
    );
  }
  return out.join(' ');
}

const joined = (text: string) => {
  const { head, runs, tail } = streamingSegments(text);
  return head + [...runs, tail].join(' ');
};

describe('streamingSegments', () => {
  it('leaves short answers, lists, code and multi-line blocks to Streamdown as one piece', () => {
    const cases = [
      'A short answer.',
      `Intro.\n\n${'- item one. and more text here. '.repeat(60)}`,
      `Intro.\n\n\`\`\`ts\n${'const a = 1. Next = 2. '.repeat(60)}`,
      `Intro.\n\n${'Line one of a table-ish block. '.repeat(30)}\n| a | b |`,
    ];
    for (const text of cases) expect(streamingSegments(text)).toEqual({ head: '', runs: [], tail: text });
  });

  it('cuts a long last paragraph into runs between words, losing nothing', () => {
    const text = `# Title\n\nFirst paragraph.\n\n${paragraph(80)}`;
    const { head, runs, tail } = streamingSegments(text);
    expect(head).toBe('# Title\n\nFirst paragraph.\n\n');
    expect(runs.length).toBeGreaterThan(3);
    expect(joined(text)).toBe(text);
    for (const run of runs) {
      expect(run.length).toBeGreaterThanOrEqual(RUN_LENGTH);
      expect(run).not.toMatch(/\s$/);
    }
    expect(tail.length).toBeGreaterThan(0);
  });

  it('never cuts inside inline syntax: each run closes what it opens', () => {
    const { runs } = streamingSegments(paragraph(120));
    for (const run of runs) {
      expect((run.match(/\*/g) ?? []).length % 2).toBe(0);
      expect((run.match(/`/g) ?? []).length % 2).toBe(0);
      expect((run.match(/\[/g) ?? []).length).toBe((run.match(/\]/g) ?? []).length);
    }
  });

  it('never cuts inside bold that spans many words', () => {
    const words = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(' ');
    const text = Array.from({ length: 12 }, (_, i) => `${words(30, 'plain')} **${words(40, `bold${i}-`)}** ${words(10, 'after')}`).join(' ');
    const { runs } = streamingSegments(text);
    expect(runs.length).toBeGreaterThan(3);
    for (const run of runs) expect((run.match(/\*\*/g) ?? []).length % 2).toBe(0);
    expect(joined(text)).toBe(text);
  });

  it('keeps every run once cut, token after token, so a finished run is never parsed again', () => {
    const full = paragraph(100);
    let previous: readonly string[] = [];
    for (let end = 1; end <= full.length; end += 7) {
      const { runs } = streamingSegments(full.slice(0, end));
      // Earlier runs are a prefix of the later list, unchanged.
      expect(runs.slice(0, previous.length)).toEqual(previous);
      previous = runs;
    }
    expect(previous.length).toBeGreaterThan(3);
  });

  it('stops cutting after syntax that has no closer to wait for (HTML, math, escapes)', () => {
    const text = `Opening words here. ${'<b>raw html</b> and more prose follows. '.repeat(60)}`;
    expect(streamingSegments(text).runs).toEqual([]);
    expect(streamingSegments(text).runs.every((run) => !run.includes('<'))).toBe(true);
    expect(joined(text)).toBe(text);
  });
});
