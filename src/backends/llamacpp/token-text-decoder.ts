import type { LlamaModel, Token } from 'node-llama-cpp';

/** U+FFFD: what detokenizing an incomplete UTF-8 sequence ends with. */
const REPLACEMENT_CHARACTER = '\uFFFD';
/** A UTF-8 character spans at most 4 bytes, so at most 4 byte-level tokens can be waiting for one. */
const MAX_HELD_TOKENS = 4;
/** Tokens of left context passed to the detokenizer, for SentencePiece's leading-space rules. */
const CONTEXT_TOKENS = 8;

/**
 * Turns generated tokens into text deltas. Byte-level vocabularies split characters such as "🦙"
 * into several tokens; decoding each alone would stream U+FFFD replacement characters, so tokens
 * whose text ends in an incomplete character are held until the character is complete (the same
 * rule node-llama-cpp's LlamaCompletion uses). Special tokens render as nothing, as in llama-server.
 */
export class TokenTextDecoder {
  private held: Token[] = [];
  private recent: Token[] = [];

  constructor(private readonly model: LlamaModel) {}

  push(token: Token): string {
    this.held.push(token);
    const text = this.model.detokenize(this.held, false, this.recent);
    if (text.endsWith(REPLACEMENT_CHARACTER) && this.held.length < MAX_HELD_TOKENS) return '';
    this.recent = [...this.recent, ...this.held].slice(-CONTEXT_TOKENS);
    this.held = [];
    return text;
  }

  /** Whatever is still held at the end of generation; may end in U+FFFD if the model stopped mid-character. */
  flush(): string {
    if (this.held.length === 0) return '';
    const text = this.model.detokenize(this.held, false, this.recent);
    this.held = [];
    return text;
  }
}
