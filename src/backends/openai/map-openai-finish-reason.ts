import type { FinishReason } from '../backend.ts';

/**
 * OpenAI reports `stop` both for a natural end (EOS) and for a matched stop sequence, and the
 * servers strip the stop sequence from the text, so the text alone cannot tell them apart. We
 * decide in this order:
 * 1. our own StopSequenceMatcher saw a stop sequence (servers that do not strip it): `stop`
 *    (handled by the generation driver before this function is consulted);
 * 2. vLLM's extra `stop_reason` names one of our stop strings: `stop`;
 * 3. otherwise `eos`. llama-server, Ollama and OpenAI itself give no way to tell, so a stop
 *    sequence on those servers is reported as `eos`: the text is right, only the label is coarse.
 */
export function mapOpenAiFinishReason(
  finishReason: string | null,
  stopReason: string | number | null,
  stopSequences: readonly string[],
): FinishReason | null {
  switch (finishReason) {
    case null:
      return null;
    case 'length':
      return 'length';
    case 'stop':
      return typeof stopReason === 'string' && stopSequences.includes(stopReason) ? 'stop' : 'eos';
    case 'tool_calls':
      return 'tool-calls';
    default:
      // `content_filter`, `function_call`: the model (or a filter) ended its turn.
      return 'eos';
  }
}
