import type { LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import type { PromptTokenLogprob } from '../backend.ts';

/**
 * Evaluates all but the last prompt token into an empty sequence, reading at each step how likely
 * the model found the prompt's next token: TGI's `decoder_input_details` (`details.prefill`). The
 * first token has nothing before it, so its log-probability is null, as in TGI. The last token is
 * left for the generation, whose first step samples from its logits.
 *
 * Only the next token's logit, the largest one and the sum of all weights come back per step
 * (`logit − max − ln Σ exp(logit − max)` is the log-softmax), not the whole vocabulary: a full
 * probability map per prompt token would hold 152k entries each on Qwen-sized vocabularies.
 * The cached prefix cannot be reused, since its logits are gone.
 */
export async function evaluatePromptWithLogprobs(sequence: LlamaContextSequence, model: LlamaModel, promptTokens: readonly Token[]): Promise<PromptTokenLogprob[]> {
  if (sequence.nextTokenIndex > 0) await sequence.eraseContextTokenRanges([{ start: 0, end: sequence.nextTokenIndex }]);
  const evaluated = promptTokens.slice(0, -1);
  const results = await sequence.controlledEvaluate(
    evaluated.map((token, index) => [
      token,
      { generateNext: { logits: { filter: { tokens: [promptTokens[index + 1] as Token], includeTop: 1 } }, totalLogitWeight: true } },
    ]),
  );
  return promptTokens.map((token, index) => {
    const next = index === 0 ? undefined : results[index - 1]?.next;
    let logprob: number | null = null;
    if (next?.logits && next.totalLogitWeight !== undefined) {
      const largest = Math.max(...next.logits.values());
      const logit = next.logits.get(token);
      if (logit !== undefined) logprob = logit - largest - Math.log(next.totalLogitWeight);
    }
    return { tokenId: Number(token), text: model.detokenize([token], true), logprob };
  });
}
