/**
 * How a model marks its thinking in the text it writes: `<think>…</think>` for Qwen3, QwQ and the
 * DeepSeek-R1 family. `startsInside`: the prompt itself opened the block (DeepSeek-R1's template
 * ends the generation prompt with `<think>\n`), so the model's first words are already thinking.
 */
export interface ReasoningSyntax {
  open: string;
  close: string;
  startsInside: boolean;
  /**
   * Headers that open the answer and are not part of it, dropped where the answer starts: gpt-oss
   * writes `<|start|>assistant<|channel|>final<|message|>` after its analysis, or the `final`
   * header alone when it skips the analysis.
   */
  answerHeaders?: readonly string[];
}

export interface SplitPart {
  kind: 'reasoning' | 'text';
  text: string;
}

type State = 'start' | 'reasoning' | 'answer-start' | 'text';

/**
 * Splits streamed text into thinking and answer, one delta at a time, for every backend that
 * receives raw model text (the embedded engine, TGI, OpenAI-compatible servers that leave the tags
 * inline). Text that might be the start of a tag is held back until it is known not to be, so a
 * tag cut across two deltas never leaks into the answer. Only a block at the very start counts as
 * thinking (after whitespace), as llama-server and chat-ui do: a model quoting `<think>` later in
 * its answer keeps its words. Whitespace around the block is dropped, as those templates put
 * "\n\n" after `</think>`.
 */
export class ReasoningSplitter {
  private state: State;
  private held = '';
  private trimLeading = true;

  constructor(private readonly syntax: ReasoningSyntax) {
    this.state = syntax.startsInside ? 'reasoning' : 'start';
  }

  push(text: string): SplitPart[] {
    this.held += text;
    const parts: SplitPart[] = [];
    for (;;) {
      if (this.state === 'start') {
        const trimmed = this.held.trimStart();
        if (trimmed.startsWith(this.syntax.open)) {
          this.held = trimmed.slice(this.syntax.open.length);
          this.enter('reasoning');
          continue;
        }
        if (this.syntax.open.startsWith(trimmed)) return parts;
        this.enter(this.syntax.answerHeaders ? 'answer-start' : 'text');
        continue;
      }
      if (this.state === 'answer-start') {
        const trimmed = this.held.trimStart();
        const header = this.syntax.answerHeaders?.find((candidate) => trimmed.startsWith(candidate));
        if (header) {
          this.held = trimmed.slice(header.length);
          this.enter('text');
          continue;
        }
        if (this.syntax.answerHeaders?.some((candidate) => candidate.startsWith(trimmed))) return parts;
        this.enter('text');
        continue;
      }
      if (this.state === 'reasoning') {
        const end = this.held.indexOf(this.syntax.close);
        if (end !== -1) {
          this.emit(parts, 'reasoning', this.held.slice(0, end).trimEnd());
          this.held = this.held.slice(end + this.syntax.close.length);
          this.enter(this.syntax.answerHeaders ? 'answer-start' : 'text');
          continue;
        }
        // Keep back what could be the start of the closing tag, and trailing whitespace, which is
        // dropped if the tag follows it.
        const partial = partialSuffixLength(this.held, this.syntax.close);
        const before = this.held.slice(0, this.held.length - partial);
        const keep = partial + before.length - before.trimEnd().length;
        this.emit(parts, 'reasoning', this.held.slice(0, this.held.length - keep));
        this.held = this.held.slice(this.held.length - keep);
        return parts;
      }
      this.emit(parts, 'text', this.held);
      this.held = '';
      return parts;
    }
  }

  /** What is still held when the stream ends: an unfinished tag is text, unfinished thinking stays thinking. */
  flush(): SplitPart[] {
    const parts: SplitPart[] = [];
    if (this.state === 'reasoning') this.emit(parts, 'reasoning', this.held.trimEnd());
    else this.emit(parts, 'text', this.held);
    this.held = '';
    return parts;
  }

  private enter(state: State): void {
    this.state = state;
    this.trimLeading = true;
  }

  private emit(parts: SplitPart[], kind: SplitPart['kind'], text: string): void {
    let out = text;
    if (this.trimLeading) {
      out = out.trimStart();
      if (out === '') return;
      this.trimLeading = false;
    }
    if (out === '') return;
    const last = parts.at(-1);
    if (last?.kind === kind) last.text += out;
    else parts.push({ kind, text: out });
  }
}

/** Length of the longest suffix of `text` that is a proper prefix of `tag`. */
function partialSuffixLength(text: string, tag: string): number {
  for (let length = Math.min(tag.length - 1, text.length); length > 0; length--) {
    if (tag.startsWith(text.slice(text.length - length))) return length;
  }
  return 0;
}

export const THINK_TAGS = { open: '<think>', close: '</think>' } as const;

/**
 * gpt-oss's harmony format, as its template shows: thinking is the `analysis` channel, ended by
 * `<|end|>`; the answer is the `final` channel. llama.cpp renders these tokens in the text for
 * gpt-oss models (it marks them user-defined), so the split works on the text as for `<think>`.
 */
export const HARMONY_CHANNELS = {
  open: '<|channel|>analysis<|message|>',
  close: '<|end|>',
  answerHeaders: ['<|start|>assistant<|channel|>final<|message|>', '<|channel|>final<|message|>'],
} as const;

/**
 * The thinking syntax a chat template shows, and whether the rendered prompt leaves the block
 * open. Templates that never mention `<think>` get null: their models do not think in tags.
 */
export function detectReasoningSyntax(chatTemplate: string | null, renderedPrompt: string): ReasoningSyntax | null {
  if (chatTemplate?.includes('<|channel|>analysis<|message|>')) return { ...HARMONY_CHANNELS, startsInside: false };
  if (!chatTemplate?.includes(THINK_TAGS.open)) return null;
  const lastOpen = renderedPrompt.lastIndexOf(THINK_TAGS.open);
  const lastClose = renderedPrompt.lastIndexOf(THINK_TAGS.close);
  return { ...THINK_TAGS, startsInside: lastOpen !== -1 && lastOpen > lastClose && renderedPrompt.trimEnd().endsWith(THINK_TAGS.open) };
}
