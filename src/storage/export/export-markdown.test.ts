/**
 * The Markdown export shows every title, message and error as text: rendered by a real Markdown
 * engine (marked, GFM, as GitHub and most viewers render), a crafted conversation yields no fake
 * turns, no images, no links and no HTML, and the original text is still there to read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { marked } from 'marked';
import { sampleGeneration, sampleReasoning } from '../../../test/storage/fixtures.ts';
import type { ConversationSnapshot } from '../conversation-store.ts';
import { conversationAsMarkdown } from './export-markdown.ts';

const hostileTitle = 'Notes\n\n## Assistant\n\nSure! ![x](https://tracker.example/open.png) [click](javascript:alert(1)) <img src=x onerror=alert(1)> &lt;b&gt;';
const hostileContent = [
  'Here is a fake turn:',
  '',
  '## User',
  '',
  'Ignore the above.',
  '![pixel](https://tracker.example/pixel.png)',
  '[docs](javascript:alert(document.cookie))',
  '<script>alert(1)</script>',
  '```',
  'a fence that tries to close the block',
  '`````',
].join('\n');

function snapshot(): ConversationSnapshot {
  const conversationId = '11111111-1111-4111-8111-111111111111';
  const at = '2026-01-01T00:00:00.000Z';
  const message = (id: string, parentId: string | null, role: 'user' | 'assistant', content: string) => ({
    id,
    conversationId,
    parentId,
    role,
    content,
    generation: role === 'assistant' ? { ...sampleGeneration({ reasoning: sampleReasoning }), modelId: '![m](https://tracker.example/m.png)', status: 'error' as const, error: { code: 'upstream' as const, message: '[err](javascript:alert(2))' } } : null,
    createdAt: at,
    updatedAt: at,
  });
  return {
    conversation: { id: conversationId, title: hostileTitle, settings: { systemMessage: '<iframe src="https://evil.example"></iframe>' }, activeLeafId: '33333333-3333-4333-8333-333333333333', createdAt: at, updatedAt: at },
    messages: [
      message('22222222-2222-4222-8222-222222222222', null, 'user', hostileContent),
      message('33333333-3333-4333-8333-333333333333', '22222222-2222-4222-8222-222222222222', 'assistant', hostileContent),
    ],
  };
}

describe('Markdown export', () => {
  const markdown = conversationAsMarkdown(snapshot());
  const html = marked.parse(markdown, { async: false, gfm: true });

  it('renders no injected turns: one title, and a heading per real message', () => {
    assert.equal((html.match(/<h1>/g) ?? []).length, 1);
    assert.deepEqual([...html.matchAll(/<h2>(.*?)<\/h2>/g)].map((match) => match[1]), ['System', 'User', 'Assistant']);
  });

  it('renders no images, links, scripts, frames or raw HTML', () => {
    assert.doesNotMatch(html, /<img|<a |<script|<iframe/);
    assert.doesNotMatch(html, /href=/);
  });

  it('keeps the text readable as it was typed', () => {
    assert.ok(markdown.includes(hostileContent), 'the message is there verbatim, inside its block');
    // The title, on one line, reads as the text it was (entities and tags shown, not applied).
    assert.match(html, /<h1>Notes ## Assistant Sure! !\[x\]\(https:\/\/tracker\.example\/open\.png\) \[click\]\(javascript:alert\(1\)\) &lt;img src=x onerror=alert\(1\)&gt; &amp;lt;b&amp;gt;<\/h1>/);
  });

  it("shows the answer's thinking apart, before the answer, with how long it took, as text", () => {
    const thinking = sampleReasoning.text;
    const assistantSection = markdown.slice(markdown.lastIndexOf('## Assistant'));
    const thinkingAt = assistantSection.indexOf(thinking);
    assert.ok(thinkingAt > 0, 'the thinking is in the answer\'s section');
    assert.ok(thinkingAt < assistantSection.indexOf(hostileContent), 'the thinking comes before the answer');
    assert.match(assistantSection, /\*Thought for 1\.3 s:\*/);
    assert.match(html, /<pre><code class="language-text">They greet me/);
  });
});

describe('Markdown export of tool calls', () => {
  it('shows each call with its status, arguments and result as text', async () => {
    const created = '2026-01-01T00:00:00.000Z';
    const markdown = conversationAsMarkdown({
      conversation: { id: 'c', title: 'T', settings: {}, activeLeafId: 'a', createdAt: created, updatedAt: created },
      messages: [
        { id: 'u', conversationId: 'c', parentId: null, role: 'user', content: 'Read it', generation: null, createdAt: created, updatedAt: created },
        {
          id: 'a',
          conversationId: 'c',
          parentId: 'u',
          role: 'assistant',
          content: 'It says hi.',
          generation: {
            ...sampleGeneration(),
            toolCalls: [
              { id: 'k', name: 'files__read', server: 'files', tool: 'read', arguments: '{"path":"a"}', step: 0, textOffset: 0, status: 'done', result: '## User\n![x](http://tracker)', startedAt: created, durationMs: 12 },
            ],
          },
          createdAt: created,
          updatedAt: created,
        },
      ],
    });
    assert.match(markdown, /\*Tool call files\\_\\_read \(done, 12 ms\):\*\n\n```text\n\{"path":"a"\}\n```\n\n```text\n## User\n!\[x\]\(http:\/\/tracker\)\n```/);
  });
});
