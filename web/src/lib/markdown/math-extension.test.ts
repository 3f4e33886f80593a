import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lexMarkdown } from './markdown-to-html.ts';

const mathTokens = (source: string) => JSON.stringify(lexMarkdown(source)).match(/"type":"(?:blockMath|inlineMath)"/g)?.length ?? 0;

test('text full of unclosed math openers lexes in linear time', () => {
  // Each of these took seconds at 32 KB before failed searches were capped (quadratic: 7 s for
  // `$$`); at 200 KB that would be minutes. Linear, they take well under a second here.
  for (const unit of ['$$', '\\[', '\\(', '$$x\n']) {
    const source = unit.repeat(Math.ceil(200_000 / unit.length));
    const started = performance.now();
    lexMarkdown(source);
    const elapsedMs = performance.now() - started;
    assert.ok(elapsedMs < 3000, `${JSON.stringify(unit)} × ${source.length / unit.length}: ${Math.round(elapsedMs)} ms`);
  }
});

test('a few stray openers do not stop the math after them from rendering', () => {
  const strays = 'Use $$ for the PID, and \\[ is a bracket.\n\n'.repeat(5);
  assert.equal(mathTokens(`${strays}$$x^2$$\n\nAnd \\(y\\) inline.`), 2);
});
