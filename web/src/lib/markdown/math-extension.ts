import type { MarkedExtension, Tokens } from 'marked';

export interface MathToken extends Tokens.Generic {
  type: 'blockMath' | 'inlineMath';
  raw: string;
  tex: string;
}

/**
 * LaTeX as LLMs write it: `$$…$$` and `\[…\]` blocks, `$…$` and `\(…\)` inline. Inline `$` follows
 * pandoc's rule (no space inside the delimiters, no digit right after the closing one) so prices
 * such as "$5 and $10" stay text.
 */
export function mathExtension(render: (tex: string, displayMode: boolean) => string): MarkedExtension {
  return {
    extensions: [
      {
        name: 'blockMath',
        level: 'block',
        start: (source) => source.match(/\$\$|\\\[/)?.index,
        tokenizer(source): MathToken | undefined {
          const match = /^\$\$([\s\S]+?)\$\$[^\S\n]*(?:\n|$)/.exec(source) ?? /^\\\[([\s\S]+?)\\\][^\S\n]*(?:\n|$)/.exec(source);
          if (!match) return undefined;
          return { type: 'blockMath', raw: match[0], tex: (match[1] ?? '').trim() };
        },
        renderer: (token) => render((token as MathToken).tex, true),
      },
      {
        name: 'inlineMath',
        level: 'inline',
        start: (source) => source.match(/\$|\\\(/)?.index,
        tokenizer(source): MathToken | undefined {
          const match =
            /^\$(?!\s)((?:\\.|[^\\$\n])+?)(?<!\s)\$(?!\d)/.exec(source) ?? /^\\\(([\s\S]+?)\\\)/.exec(source);
          if (!match) return undefined;
          return { type: 'inlineMath', raw: match[0], tex: (match[1] ?? '').trim() };
        },
        renderer: (token) => render((token as MathToken).tex, false),
      },
    ],
  };
}
