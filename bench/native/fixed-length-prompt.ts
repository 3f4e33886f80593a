import type { Backend } from '../../src/backends/backend.ts';

const letters = 'abcdefghijklmnopqrstuvwxyz';

/**
 * A prompt of exactly `tokenCount` tokens that starts differently for each `variant`, so the
 * backend's prefix reuse (it keeps the longest shared prefix cached) cannot skip any of it and
 * every repetition pays for the whole prompt, as llama-bench does.
 * Single letters after a space are one token each in byte-level BPE vocabularies; the loop
 * checks with the model's own tokenizer and trims or pads until the count is exact.
 */
export async function makeFixedLengthPrompt(backend: Backend, tokenCount: number, variant: number): Promise<string> {
  let state = (variant * 2654435761 + 12345) >>> 0;
  const nextLetter = (): string => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return letters[state % letters.length] as string;
  };
  const words = [`${letters[variant % letters.length]}${letters[Math.floor(variant / letters.length) % letters.length]}`];
  while (words.length < tokenCount) words.push(nextLetter());
  for (let attempt = 0; attempt < 64; attempt++) {
    const prompt = words.join(' ');
    const count = await backend.countTokens(prompt);
    if (count === tokenCount) return prompt;
    if (count > tokenCount) words.pop();
    else words.push(nextLetter());
  }
  throw new Error(`could not build a prompt of exactly ${tokenCount} tokens`);
}
