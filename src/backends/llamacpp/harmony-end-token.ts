import type { LlamaModel, Token } from 'node-llama-cpp';

/**
 * gpt-oss's `<|end|>` closes a channel (the thinking), not the turn, which ends at `<|return|>` or
 * `<|call|>`; llama.cpp knows (it drops `<|end|>` from its end tokens for such vocabularies), but
 * node-llama-cpp's isEogToken also counts the end-of-turn token it detected, which is `<|end|>`.
 */
export function harmonyEndToken(model: LlamaModel, chatTemplate: string | null): Token | null {
  const endOfTurn = model.tokens.eot;
  if (!chatTemplate?.includes('<|channel|>') || endOfTurn === null) return null;
  return model.detokenize([endOfTurn], true) === '<|end|>' ? endOfTurn : null;
}
