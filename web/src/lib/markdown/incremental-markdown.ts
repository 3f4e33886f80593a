import type { Token } from 'marked';

export interface MarkdownBlock {
  /** Stable across updates: a block keeps its key when it stops growing. */
  key: number;
  html: string;
}

export interface RenderedMarkdown {
  /** Same array (by identity) until a block is added, so a view can skip re-diffing it per frame. */
  finished: readonly MarkdownBlock[];
  /** The block still being streamed, re-rendered on every update. */
  growing: MarkdownBlock | null;
}

export interface MarkdownPipeline {
  lex(source: string): Token[];
  /** Token(s) → safe HTML. `growing` is true for the block still being streamed. */
  render(tokens: Token[], growing: boolean): string;
}

/**
 * Renders a streaming answer in O(size of the last block) per update, so the whole answer costs
 * time linear in its length. Top-level blocks followed by another block are finished: their HTML
 * is cached and never recomputed. Only the text from the start of the last block is lexed again.
 *
 * A block is finished only once a later non-blank block exists, because a blank line alone does
 * not end a list (the next item may follow). An unclosed code fence lexes as a code block running
 * to the end of the text, which is what should be shown while it streams.
 */
export class IncrementalMarkdown {
  #source = '';
  #stableLength = 0;
  #finished: readonly MarkdownBlock[] = [];
  #wasComplete = false;

  constructor(private readonly pipeline: MarkdownPipeline) {}

  /** `complete`: the text will not grow any more, so its last block is finished too. */
  update(rawSource: string, complete: boolean): RenderedMarkdown {
    // marked normalises line endings while lexing; doing it first keeps offsets equal to raw lengths.
    const source = rawSource.includes('\r') ? rawSource.replace(/\r\n?/g, '\n') : rawSource;
    // A finished answer that grows again (Continue) may extend its last block, so start over.
    const extendsCompleteText = this.#wasComplete && !complete;
    if (extendsCompleteText || !source.startsWith(this.#source.slice(0, this.#stableLength))) this.reset();
    this.#source = source;
    this.#wasComplete = complete;

    const tokens = this.pipeline.lex(source.slice(this.#stableLength));
    const lastContentIndex = complete ? tokens.length : findLastIndex(tokens, (token) => token.type !== 'space');
    const added: MarkdownBlock[] = [];
    for (const token of tokens.slice(0, Math.max(0, lastContentIndex))) {
      this.#stableLength += token.raw.length;
      if (token.type === 'space') continue;
      added.push({ key: this.#finished.length + added.length, html: this.pipeline.render([token], false) });
    }
    if (added.length > 0) this.#finished = [...this.#finished, ...added];
    if (complete || lastContentIndex < 0) return { finished: this.#finished, growing: null };

    const growingHtml = this.pipeline.render(tokens.slice(lastContentIndex), true);
    return { finished: this.#finished, growing: { key: this.#finished.length, html: growingHtml } };
  }

  /** Forget the cache, e.g. after a lazily loaded highlighter can now colour finished blocks. */
  reset(): void {
    this.#source = '';
    this.#stableLength = 0;
    this.#finished = [];
    this.#wasComplete = false;
  }
}

function findLastIndex<Item>(items: readonly Item[], predicate: (item: Item) => boolean): number {
  for (let index = items.length - 1; index >= 0; index--) if (predicate(items[index]!)) return index;
  return -1;
}
