import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Token } from 'marked';
import { IncrementalMarkdown, type MarkdownPipeline, type RenderedMarkdown } from './incremental-markdown.ts';
import { lexMarkdown, renderMarkdownTokens } from './markdown-to-html.ts';

function countingPipeline() {
  const rendered: string[] = [];
  const pipeline: MarkdownPipeline = {
    lex: lexMarkdown,
    render(tokens: Token[], growing: boolean) {
      rendered.push(tokens.map((token) => token.raw).join(''));
      return renderMarkdownTokens(tokens, { growing });
    },
  };
  return { pipeline, rendered };
}

const answer = [
  '# Sorting\n\n',
  'Here is *quicksort*:\n\n',
  '```python\ndef sort(items):\n    return sorted(items)\n```\n\n',
  '- first\n- second\n\n',
  '| a | b |\n|---|---|\n| 1 | 2 |\n\n',
  'Done.',
].join('');

const allBlocks = ({ finished, growing }: RenderedMarkdown) => (growing ? [...finished, growing] : [...finished]);

function streamInPieces(renderer: IncrementalMarkdown, text: string, pieceLength: number) {
  for (let end = 0; end < text.length + pieceLength; end += pieceLength) {
    renderer.update(text.slice(0, end), false);
  }
  return allBlocks(renderer.update(text, true));
}

test('streamed piece by piece, the result equals rendering the whole text at once', () => {
  const { pipeline } = countingPipeline();
  const streamed = streamInPieces(new IncrementalMarkdown(pipeline), answer, 3);
  const whole = allBlocks(new IncrementalMarkdown(pipeline).update(answer, true));
  assert.equal(streamed.map((block) => block.html).join(''), whole.map((block) => block.html).join(''));
  assert.equal(whole.length, 6);
});

test('finished blocks are rendered once; only the growing block is rendered again', () => {
  const { pipeline, rendered } = countingPipeline();
  streamInPieces(new IncrementalMarkdown(pipeline), answer, 1);
  const finishedRenders = rendered.filter((raw) => raw === '# Sorting');
  // Once while it grew character by character is fine; after that the heading is never redone.
  const lastHeadingRender = rendered.lastIndexOf('# Sorting');
  assert.ok(finishedRenders.length >= 1);
  assert.ok(rendered.slice(lastHeadingRender + 1).every((raw) => !raw.startsWith('# Sorting')));
  // Work per update is bounded by the last block, not the whole answer.
  const longest = Math.max(...rendered.map((raw) => raw.length));
  assert.ok(longest < answer.length / 2, `a render covered ${longest} of ${answer.length} characters`);
});

test('block keys stay stable as a block stops growing', () => {
  const renderer = new IncrementalMarkdown(countingPipeline().pipeline);
  const growing = allBlocks(renderer.update('First paragraph', false));
  const later = allBlocks(renderer.update('First paragraph\n\nSecond', false));
  assert.equal(growing[0]?.key, 0);
  assert.equal(later[0]?.key, 0);
  assert.equal(later[1]?.key, 1);
});

test('the finished list keeps its identity while only the growing block changes', () => {
  const renderer = new IncrementalMarkdown(countingPipeline().pipeline);
  const first = renderer.update('Done paragraph\n\nGrow', false);
  const second = renderer.update('Done paragraph\n\nGrowing', false);
  assert.equal(first.finished, second.finished);
  assert.notEqual(first.growing?.html, second.growing?.html);
});

test('an unclosed code fence renders as code while it streams', () => {
  const renderer = new IncrementalMarkdown(countingPipeline().pipeline);
  const blocks = allBlocks(renderer.update('Look:\n\n```js\nconst x = 1;\nconst y', false));
  const last = blocks.at(-1)!.html;
  assert.match(last, /<pre tabindex="0"><code class="hljs language-javascript">const x = 1;\nconst y<\/code><\/pre>/);
});

test('a list is not cut in two by the blank line before its next item', () => {
  const renderer = new IncrementalMarkdown(countingPipeline().pipeline);
  renderer.update('- one\n\n', false);
  const blocks = allBlocks(renderer.update('- one\n\n- two', true));
  assert.equal(blocks.length, 1);
  assert.equal((blocks[0]!.html.match(/<li>/g) ?? []).length, 2);
});

test('replaced text (a regenerated answer) starts over', () => {
  const renderer = new IncrementalMarkdown(countingPipeline().pipeline);
  renderer.update('Alpha\n\nBeta', true);
  const blocks = allBlocks(renderer.update('Gamma', true));
  assert.equal(blocks.length, 1);
  assert.match(blocks[0]!.html, /Gamma/);
});

test('continuing a finished answer extends its last paragraph instead of starting a new one', () => {
  const renderer = new IncrementalMarkdown(countingPipeline().pipeline);
  renderer.update('The answer was cut', true);
  const blocks = allBlocks(renderer.update('The answer was cut short', false));
  assert.equal(blocks.length, 1);
  assert.match(blocks[0]!.html, /The answer was cut short/);
});
