import type { FinishReason, GenerationEvent, PromptTokenLogprob } from '../../backends/backend.ts';
import type { ResolvedGenerationParameters } from '../../chat/generation-parameters.ts';

/** TGI's finish reasons. An aborted generation never reaches a TGI client (it has gone). */
export type TgiFinishReason = 'length' | 'eos_token' | 'stop_sequence';

export function tgiFinishReason(reason: FinishReason): TgiFinishReason {
  if (reason === 'length') return 'length';
  if (reason === 'stop') return 'stop_sequence';
  return 'eos_token';
}

/**
 * For tokens whose log-probability was not asked for or not computed. `text_generation` clients up
 * to 0.6 declare `Token.logprob` as a required float and reject null, so they carry 0, not null.
 */
const UNKNOWN_LOGPROB = 0;

export interface TgiToken {
  id: number;
  text: string;
  logprob: number;
  special: boolean;
}

export interface TgiStreamDetails {
  finish_reason: TgiFinishReason;
  generated_tokens: number;
  input_length: number;
  seed: number | null;
}

/** TGI leaves `top_tokens` out when empty (its OpenAPI schema allows a list, not null). */
export interface TgiStreamEvent {
  index: number;
  token: TgiToken;
  top_tokens?: TgiToken[];
  generated_text: string | null;
  details: TgiStreamDetails | null;
}

export interface TgiDetails {
  finish_reason: TgiFinishReason;
  generated_tokens: number;
  seed: number | null;
  /** The prompt's tokens with their log-probabilities (`decoder_input_details`); empty otherwise. */
  prefill: TgiPrefillToken[];
  tokens: TgiToken[];
  top_tokens?: TgiToken[][];
}

/** TGI's `PrefillToken`: the first has no log-probability (nothing came before it). */
export interface TgiPrefillToken {
  id: number;
  text: string;
  logprob: number | null;
}

export function tgiPrefillToken(token: PromptTokenLogprob): TgiPrefillToken {
  return { id: token.tokenId ?? 0, text: token.text, logprob: token.logprob };
}

export interface TgiGenerateResponse {
  generated_text: string;
  details?: TgiDetails;
}

export function tgiToken(event: Extract<GenerationEvent, { type: 'text-delta' }>): TgiToken {
  return { id: event.tokenId ?? 0, text: event.text, logprob: event.logprobs?.[0]?.logprob ?? UNKNOWN_LOGPROB, special: false };
}

/** The alternatives at this token's step (`top_n_tokens`); empty when none were asked for. */
export function tgiTopTokens(event: Extract<GenerationEvent, { type: 'text-delta' }>): TgiToken[] {
  return (event.logprobs?.[0]?.top ?? []).map((alternative) => ({
    id: alternative.tokenId ?? 0,
    text: alternative.text,
    logprob: alternative.logprob,
    special: false,
  }));
}

/**
 * Translates our events into TGI's stream, one TGI event per text delta. TGI's last event carries
 * the final token together with `generated_text` and `details`; we send text as soon as it
 * arrives (holding the last delta back would delay every token by one), so the closing event
 * carries an empty special token, as TGI's own end-of-sequence token is special. Clients that
 * skip special tokens (the Python client's examples, anychat's tgi backend) see exactly the text.
 */
export class TgiStreamWriter {
  private index = 0;
  private text = '';

  constructor(
    private readonly options: { details: boolean; prefix: string; parameters: ResolvedGenerationParameters },
  ) {}

  delta(event: Extract<GenerationEvent, { type: 'text-delta' }>): TgiStreamEvent {
    this.text += event.text;
    const topTokens = tgiTopTokens(event);
    return { index: this.index++, token: tgiToken(event), ...(topTokens.length > 0 ? { top_tokens: topTokens } : {}), generated_text: null, details: null };
  }

  finish(event: Extract<GenerationEvent, { type: 'finish' }>): TgiStreamEvent {
    return {
      index: this.index++,
      token: { id: 0, text: '', logprob: UNKNOWN_LOGPROB, special: true },
      generated_text: this.options.prefix + this.text,
      details: this.options.details
        ? {
            finish_reason: tgiFinishReason(event.reason),
            generated_tokens: event.usage.completionTokens,
            input_length: event.usage.promptTokens,
            seed: this.options.parameters.seed ?? null,
          }
        : null,
    };
  }
}
