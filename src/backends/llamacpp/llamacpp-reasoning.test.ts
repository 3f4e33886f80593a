/**
 * The embedded engine on a generated random-weight model whose template opens the think block in
 * the prompt (DeepSeek-R1's real template, given as `--chat-template`): on `/v1` the thinking comes
 * as `reasoning_content` and never inside `content`, and `--reasoning raw` leaves the same text in
 * `content`, as the model wrote it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import OpenAI from 'openai';
import { ensureTestModel } from '../../../scripts/test-models/ensure-test-model.ts';
import { listenOnFreePort } from '../../../test/support/listen-on-free-port.ts';
import { createTestApp } from '../../../test/support/test-app.ts';
import type { ReasoningMode } from '../../chat/reasoning/reasoning-mode.ts';
import { createBackend } from '../create-backend.ts';

const deepSeekR1Template = readFileSync(new URL('./__fixtures__/deepseek-r1-distill-llama-8b.jinja', import.meta.url), 'utf8');
const modelPath = await ensureTestModel('tiny');

async function serve(reasoning: ReasoningMode) {
  const backend = await createBackend({ backend: 'llamacpp', model: modelPath, threads: 1, contextSize: 512, chatTemplate: deepSeekR1Template, reasoning });
  const { app } = createTestApp({ backend });
  const client = new OpenAI({ baseURL: `${await listenOnFreePort(app)}/v1`, apiKey: 'unused', maxRetries: 0 });
  return { app, client };
}

const request = { model: 'tiny', messages: [{ role: 'user' as const, content: 'What is 2 + 2?' }], max_tokens: 12, temperature: 0.8, seed: 11 };

describe('thinking from the embedded engine, on /v1', () => {
  const apps: Array<{ close(): Promise<unknown> }> = [];
  after(async () => {
    for (const app of apps) await app.close();
  });

  it('streams the thinking the prompt opened as reasoning_content, apart from content, and raw keeps it as text', async () => {
    const auto = await serve('auto');
    apps.push(auto.app);
    const stream = await auto.client.chat.completions.create({ ...request, stream: true });
    let reasoning = '';
    let content = '';
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { reasoning_content?: string; content?: string | null } | undefined;
      reasoning += delta?.reasoning_content ?? '';
      content += delta?.content ?? '';
    }
    assert.ok(reasoning.length > 0, 'the model thought');

    const collected = await auto.client.chat.completions.create(request);
    const message = collected.choices[0]?.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
    assert.equal(message.reasoning_content, reasoning, 'the same seeded thinking, streamed or not');
    assert.equal(message.content ?? '', content);

    const raw = await serve('raw');
    apps.push(raw.app);
    const written = await raw.client.chat.completions.create(request);
    const rawMessage = written.choices[0]?.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
    assert.equal(rawMessage.reasoning_content, undefined);
    // A random-weight model never closes the block, so everything it wrote was thinking.
    assert.equal(rawMessage.content?.trim(), `${reasoning}${content ? `</think>${content}` : ''}`.trim());
    assert.equal(content, '', 'no thinking leaked into the answer');

    // With a response format, the grammar writes the answer from the first token, in content.
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };
    const structured = await auto.client.chat.completions.create({ ...request, max_tokens: 40, response_format: { type: 'json_schema', json_schema: { name: 'ok', schema } } });
    const structuredMessage = structured.choices[0]?.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
    assert.equal(typeof (JSON.parse(structuredMessage.content ?? '') as { ok: unknown }).ok, 'boolean', structuredMessage.content ?? '');
    assert.equal(structuredMessage.reasoning_content, undefined);
  });
});
