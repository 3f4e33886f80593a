/**
 * The embedded engine on generated thinking models: the tiny shape with Qwen3's real template
 * (the model writes `<think>` itself; `enable_thinking: false` makes the prompt hold an empty block)
 * and with DeepSeek-R1's (the prompt opens the block). Random weights never close a think block on
 * their own, so the server's `--grammar-file` grammar makes them write `<think>…</think>answer`,
 * as a real thinking model does, and everything after that is the product's own path: the split on
 * `/v1` (through the official `openai` client) and in the app API, storage, and the next turn's
 * prompt, which must not hold the thinking.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { ensureTestModel } from '../../../scripts/test-models/ensure-test-model.ts';
import type { TestModelName } from '../../../scripts/test-models/test-model-catalog.ts';
import { recordRequests } from '../../../test/e2e/support/test-server.ts';
import { listenOnFreePort } from '../../../test/support/listen-on-free-port.ts';
import { createTestApp, parseSse } from '../../../test/support/test-app.ts';
import type { Conversation, StoredMessage } from '../../chat/conversation.ts';
import type { GenerationRequest } from '../backend.ts';
import { createBackend } from '../create-backend.ts';

const WORDS = 'words ::= word (" " word){2,4}\nword ::= [a-z]{2,6}';
/** Qwen3 opens the block itself. */
const QWEN3_GRAMMAR = `root ::= "<think>\\n" words "\\n</think>\\n\\n" words\n${WORDS}`;
/** DeepSeek-R1's prompt already ends in `<think>\n`: the model only closes it. */
const DEEPSEEK_R1_GRAMMAR = `root ::= words "\\n</think>\\n\\n" words\n${WORDS}`;
/** gpt-oss thinks in the analysis channel, which `<|end|>` closes, and answers in the final one. */
const GPT_OSS_GRAMMAR = `root ::= "<|channel|>analysis<|message|>" words "<|end|><|start|>assistant<|channel|>final<|message|>" words\n${WORDS}`;
const SOME_WORDS = /^[a-z]{2,6}( [a-z]{2,6}){2,4}$/;

interface Served {
  client: OpenAI;
  api: string;
  requests: GenerationRequest[];
  close(): Promise<unknown>;
}

async function serve(model: TestModelName, grammar?: string): Promise<Served> {
  const backend = await createBackend({ backend: 'llamacpp', model: await ensureTestModel(model), threads: 1, contextSize: 1024, grammar });
  const recorded = recordRequests(backend);
  const { app } = createTestApp({ backend: recorded.backend });
  const base = await listenOnFreePort(app);
  return { client: new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 }), api: `${base}/api`, requests: recorded.requests, close: () => app.close() };
}

type ThinkingMessage = OpenAI.ChatCompletionMessage & { reasoning_content?: string };
type ThinkingDelta = { reasoning_content?: string; content?: string | null };

const question = { model: 'tiny', messages: [{ role: 'user' as const, content: 'What is 2 + 2?' }], max_tokens: 80, temperature: 0.8, seed: 5 };

async function streamed(client: OpenAI, body: OpenAI.ChatCompletionCreateParamsNonStreaming): Promise<{ reasoning: string; content: string }> {
  const stream = await client.chat.completions.create({ ...body, stream: true });
  let reasoning = '';
  let content = '';
  for await (const chunk of stream) {
    const delta = chunk.choices[0]?.delta as ThinkingDelta | undefined;
    reasoning += delta?.reasoning_content ?? '';
    content += delta?.content ?? '';
  }
  return { reasoning, content };
}

describe('a generated Qwen3-template model that thinks, on /v1', () => {
  let qwen3: Served;
  let qwen3Free: Served;
  let deepSeekR1: Served;
  before(async () => {
    qwen3 = await serve('tiny-qwen3', QWEN3_GRAMMAR);
    qwen3Free = await serve('tiny-qwen3');
    deepSeekR1 = await serve('tiny-deepseek-r1', DEEPSEEK_R1_GRAMMAR);
  });
  after(async () => {
    await Promise.all([qwen3?.close(), qwen3Free?.close(), deepSeekR1?.close()]);
  });

  it('streams the thinking as reasoning_content and the answer as content, the same streamed or not', async () => {
    const { reasoning, content } = await streamed(qwen3.client, question);
    assert.match(reasoning, SOME_WORDS);
    assert.match(content, SOME_WORDS);
    assert.ok(qwen3.requests.at(-1)?.prompt?.endsWith('<|im_start|>assistant\n'), 'Qwen3 leaves the block for the model to open');

    const collected = await qwen3.client.chat.completions.create(question);
    const message = collected.choices[0]?.message as ThinkingMessage;
    assert.equal(message.reasoning_content, reasoning);
    assert.equal(message.content, content);
    assert.equal(collected.choices[0]?.finish_reason, 'stop');
  });

  it('does not send the thinking back on the next turn', async () => {
    const first = (await qwen3.client.chat.completions.create(question)).choices[0]?.message as ThinkingMessage;
    assert.ok(first.reasoning_content);
    await qwen3.client.chat.completions.create({
      ...question,
      messages: [...question.messages, { role: 'assistant', content: first.content, reasoning_content: first.reasoning_content } as OpenAI.ChatCompletionAssistantMessageParam, { role: 'user', content: 'And 3 + 3?' }],
    });
    const prompt = qwen3.requests.at(-1)?.prompt ?? '';
    assert.ok(prompt.includes(`<|im_start|>assistant\n${first.content}<|im_end|>`), prompt);
    assert.ok(!prompt.includes(first.reasoning_content), prompt);
  });

  it("honours enable_thinking: false, which the template answers with an empty block, and true, the template's default", async () => {
    const off = await qwen3Free.client.chat.completions.create({ ...question, max_tokens: 6, chat_template_kwargs: { enable_thinking: false } } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    assert.ok(qwen3Free.requests.at(-1)?.prompt?.endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n'), qwen3Free.requests.at(-1)?.prompt);
    assert.equal((off.choices[0]?.message as ThinkingMessage).reasoning_content, undefined, 'nothing to think after the empty block');
    await qwen3Free.client.chat.completions.create({ ...question, max_tokens: 6, chat_template_kwargs: { enable_thinking: true } } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    assert.ok(qwen3Free.requests.at(-1)?.prompt?.endsWith('<|im_start|>assistant\n'), qwen3Free.requests.at(-1)?.prompt);
  });

  it('splits the thinking of a DeepSeek-R1-template model, whose prompt opens the block', async () => {
    const { reasoning, content } = await streamed(deepSeekR1.client, question);
    assert.ok(deepSeekR1.requests.at(-1)?.prompt?.endsWith('<｜Assistant｜><think>\n'), deepSeekR1.requests.at(-1)?.prompt);
    assert.match(reasoning, SOME_WORDS);
    assert.match(content, SOME_WORDS);
    assert.doesNotMatch(content, /think/);
  });
});

describe('a generated gpt-oss-template model: harmony channels, on /v1', () => {
  let gptOss: Served;
  before(async () => {
    gptOss = await serve('tiny-gpt-oss', GPT_OSS_GRAMMAR);
  });
  after(() => gptOss?.close());

  it('splits the analysis channel off as reasoning_content and answers with the final channel alone, going on past <|end|>', async () => {
    const { reasoning, content } = await streamed(gptOss.client, question);
    assert.ok(gptOss.requests.at(-1)?.prompt?.endsWith('<|start|>assistant'), gptOss.requests.at(-1)?.prompt);
    assert.match(reasoning, SOME_WORDS);
    assert.match(content, SOME_WORDS);
    const collected = await gptOss.client.chat.completions.create(question);
    assert.match((collected.choices[0]?.message as ThinkingMessage).reasoning_content ?? '', SOME_WORDS);
    assert.match(collected.choices[0]?.message.content ?? '', SOME_WORDS);
    assert.equal(collected.choices[0]?.finish_reason, 'stop', 'the turn ended at <|return|>, after the answer');
  });
});

describe('a generated Qwen3-template model that thinks, in the app API', () => {
  let qwen3: Served;
  let qwen3Free: Served;
  before(async () => {
    qwen3 = await serve('tiny-qwen3', QWEN3_GRAMMAR);
    qwen3Free = await serve('tiny-qwen3');
  });
  after(async () => {
    await Promise.all([qwen3?.close(), qwen3Free?.close()]);
  });

  const post = (served: Served, path: string, body: unknown) =>
    fetch(`${served.api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const getJson = async <T>(served: Served, path: string) => (await (await fetch(`${served.api}${path}`)).json()) as T;
  const settings = { parameters: { maxNewTokens: 80, seed: 5, temperature: 0.8 } };

  it('streams thinking and answer apart, stores them apart, and leaves the thinking out of the next prompt', async () => {
    const conversation = (await (await post(qwen3, '/conversations', { title: 'Sums' })).json()) as Conversation;
    const response = await post(qwen3, `/conversations/${conversation.id}/messages`, { content: 'What is 2 + 2?', settings });
    assert.equal(response.status, 200);
    const events = parseSse(await response.text());
    const joined = (type: string) =>
      events
        .filter((event) => event.event === type)
        .map((event) => (JSON.parse(event.data) as { text: string }).text)
        .join('');
    const thought = joined('reasoning-delta');
    const answer = joined('text-delta');
    assert.match(thought, SOME_WORDS);
    assert.match(answer, SOME_WORDS);

    const { messages } = await getJson<{ messages: StoredMessage[] }>(qwen3, `/conversations/${conversation.id}`);
    const stored = messages.find((message) => message.role === 'assistant');
    assert.equal(stored?.content, answer);
    assert.equal(stored?.generation?.reasoning?.text, thought);
    assert.equal(typeof stored?.generation?.reasoning?.durationMs, 'number');

    const second = await post(qwen3, `/conversations/${conversation.id}/messages`, { content: 'And 3 + 3?', settings });
    const finish = parseSse(await second.text()).at(-1)!;
    const secondAnswer = (JSON.parse(finish.data) as { message: StoredMessage }).message;
    const { prompt } = (await getJson<StoredMessage>(qwen3, `/messages/${secondAnswer.id}`)).generation ?? {};
    assert.equal(prompt?.kind, 'text');
    const text = prompt?.kind === 'text' ? prompt.text : '';
    assert.ok(text.includes(`<|im_start|>assistant\n${answer}<|im_end|>`), text);
    assert.ok(!text.includes(thought), `the thinking is not in the second prompt: ${text}`);
  });

  it('honours the enableThinking setting in the template', async () => {
    const conversation = (await (await post(qwen3Free, '/conversations', {})).json()) as Conversation;
    const response = await post(qwen3Free, `/conversations/${conversation.id}/messages`, {
      content: 'Hi',
      settings: { ...settings, parameters: { ...settings.parameters, maxNewTokens: 4 }, enableThinking: false },
    });
    await response.text();
    assert.ok(qwen3Free.requests.at(-1)?.prompt?.endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n'), qwen3Free.requests.at(-1)?.prompt);
    assert.equal((await getJson<{ conversation: Conversation }>(qwen3Free, `/conversations/${conversation.id}`)).conversation.settings.enableThinking, false, 'kept with the conversation');

    const refused = await post(qwen3Free, `/conversations/${conversation.id}/messages`, { content: 'Hi', settings: { enableThinking: 'no' } });
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /enableThinking must be true or false/);
  });
});
