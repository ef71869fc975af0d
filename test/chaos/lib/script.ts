/**
 * The texts of the chaos suite: every turn's full answer is known in advance and made of tokens
 * that name the turn and their position, so a lost, doubled or reordered token shows up in the
 * rendered text instead of hiding among identical words. The stream itself is the kit's
 * `scriptedChunkStream` (src/testing/scripted-model.ts).
 */
export { scriptedChunkStream } from '../../../src/testing/index.js';

/** Deterministic text of one turn: `tokens` words, each unique within the turn. */
export function turnText(turnKey: string, tokens: number): string {
  const words: string[] = [];
  for (let i = 0; i < tokens; i++) words.push(`${turnKey}.${i}`);
  return words.join(' ');
}
