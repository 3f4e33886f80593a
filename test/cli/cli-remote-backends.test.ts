import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../fakes/fake-openai-server.ts';
import { startFakeTgiServer, type FakeTgiServer } from '../fakes/fake-tgi-server.ts';
import { readChunksFixture } from '../fakes/sse-fixture.ts';
import { runAnychat } from './run-anychat.ts';

describe('anychat against a TGI server', () => {
  let tgi: FakeTgiServer;
  before(async () => {
    tgi = await startFakeTgiServer({ modelId: 'tiiuae/falcon-40b-instruct', apiKey: 'hf_secret' });
  });
  after(() => tgi.close());

  it('asks with the lesson parameters and the key from HF_API_KEY', async () => {
    const result = await runAnychat(
      ['ask', '--endpoint', tgi.endpoint, '--max-new-tokens', '256', '--temperature', '0.7', 'Has math been invented or discovered?'],
      { env: { HF_API_KEY: 'hf_secret' } },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'Has math been invented or discovered?\n');
    const body = tgi.requests.at(-1)?.body as { inputs: string; parameters: Record<string, unknown> };
    assert.equal(body.inputs, '\nUser: Has math been invented or discovered?\nAssistant:');
    assert.equal(body.parameters.max_new_tokens, 256);
    assert.equal(body.parameters.temperature, 0.7);
    assert.deepEqual(body.parameters.stop, ['\nUser:']);
  });

  it('chats with the history, so follow-up questions see earlier turns', async () => {
    const before = tgi.requests.length;
    const result = await runAnychat(['chat', '--backend', 'tgi', '--endpoint', tgi.endpoint, '--api-key', 'hf_secret'], {
      stdin: '/system You are terse.\nWhich animals live in the savanna?\nWhich is the strongest of those animals?\n/exit\n',
    });
    assert.equal(result.code, 0, result.stderr);
    const prompts = tgi.requests.slice(before).map((request) => (request.body as { inputs?: string } | undefined)?.inputs).filter(Boolean);
    assert.equal(
      prompts.at(-1),
      'System: You are terse.\nUser: Which animals live in the savanna?\nAssistant: Which animals live in the savanna?\nUser: Which is the strongest of those animals?\nAssistant:',
    );
    assert.match(result.stdout, /Assistant: Which is the strongest of those animals\?\n/);
  });

  it('passes the server’s 401 through as a one-line failure', async () => {
    const result = await runAnychat(['ask', '--endpoint', tgi.endpoint, '--api-key', 'wrong', 'hello']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /unauthorized/i);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });
});

describe('anychat against an OpenAI-compatible server', () => {
  let openai: FakeOpenAiServer;
  before(async () => {
    openai = await startFakeOpenAiServer({ modelId: 'qwen2.5-0.5b-instruct' });
  });
  after(() => openai.close());

  it('sends messages, not a rendered prompt, and keeps the history in chat', async () => {
    const result = await runAnychat(['chat', '--endpoint', `${openai.endpoint}/v1`], { stdin: 'first question\nsecond question\n/exit\n' });
    assert.equal(result.code, 0, result.stderr);
    const last = openai.requests.filter((request) => request.path.endsWith('/chat/completions')).at(-1)?.body as { messages: unknown };
    assert.deepEqual(last.messages, [
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'first question' },
      { role: 'user', content: 'second question' },
    ]);
    assert.match(result.stdout, /Assistant: second question\n/);
  });
});

describe('anychat with a thinking model', () => {
  let openai: FakeOpenAiServer;
  before(async () => {
    // QwQ's recorded stream: `<think>` left inline in the content, split by anychat.
    openai = await startFakeOpenAiServer({ replay: readChunksFixture(new URL('../../src/backends/openai/__fixtures__/inline-think.chunks.txt', import.meta.url)) });
  });
  after(() => openai.close());

  it('writes the thinking to stderr, undimmed when stderr is no terminal, and the answer alone to stdout', async () => {
    const result = await runAnychat(['ask', '--endpoint', `${openai.endpoint}/v1`, 'What is 2 + 2?']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '2 + 2 = 4.\n');
    assert.equal(result.stderr, 'Okay, 2 plus 2 is 4.\n');
  });

  it('hides the thinking with --hide-reasoning', async () => {
    const result = await runAnychat(['ask', '--hide-reasoning', '--endpoint', `${openai.endpoint}/v1`, 'What is 2 + 2?']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '2 + 2 = 4.\n');
    assert.equal(result.stderr, '');
  });

  it('keeps the thinking out of chat’s stdout and out of the history it sends back', async () => {
    const before = openai.requests.length;
    const result = await runAnychat(['chat', '--endpoint', `${openai.endpoint}/v1`], { stdin: 'What is 2 + 2?\nAnd 3 + 3?\n/exit\n' });
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout, /plus 2 is 4/);
    assert.match(result.stdout, /Assistant: 2 \+ 2 = 4\.\n/);
    assert.match(result.stderr, /Okay, 2 plus 2 is 4\.\n/);
    const last = openai.requests.slice(before).filter((request) => request.path.endsWith('/chat/completions')).at(-1)?.body as { messages: unknown };
    assert.doesNotMatch(JSON.stringify(last.messages), /plus 2 is 4/);
  });
});
