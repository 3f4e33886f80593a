import type { ToolCall } from '../../chat/tools/tool-definition.ts';
import type { FinishReason, PromptTokenLogprob, TokenLogprob } from '../backend.ts';

/**
 * What a wire-format parser (TGI's `/generate_stream`, OpenAI's chat chunks) reduces a stream to.
 * `driveRemoteGeneration` turns these into GenerationEvents, so stop sequences, aborts, usage and
 * error mapping are handled once for every remote backend.
 */
export type UpstreamGenerationPart =
  | {
      type: 'text';
      text: string;
      /** Tokens this part stands for (1 per TGI token; 1 per OpenAI content chunk, an approximation). */
      tokenCount: number;
      tokenId?: number;
      logprobs?: TokenLogprob[];
    }
  /** Thinking the server already separated (`reasoning_content`, `reasoning`). */
  | { type: 'reasoning'; text: string; tokenCount: number }
  /** A fragment of a call as the server streamed it; `index` counts calls in the order they began. */
  | { type: 'tool-call-delta'; index: number; id?: string; name?: string; argumentsDelta: string }
  /** A complete call, assembled from the server's fragments; comes before the finish. */
  | { type: 'tool-call'; call: ToolCall }
  | {
      type: 'finish';
      /**
       * Text that arrived with the final event (TGI sends its last token there). Kept on the same
       * part so a stop sequence completed by that token still gets the server's usage numbers.
       */
      text?: string;
      tokenCount?: number;
      /** null when the server did not say (TGI without `details`, OpenAI without `finish_reason`). */
      reason: FinishReason | null;
      promptTokens: number | null;
      completionTokens: number | null;
      /** The prompt's tokens with their log-probabilities, when asked for (TGI's `prefill`). */
      promptLogprobs?: PromptTokenLogprob[];
    };
