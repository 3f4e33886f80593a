import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { ensureTestModel } from '../../scripts/test-models/ensure-test-model.ts';
import { runAnychat } from './run-anychat.ts';

describe('anychat with the embedded llama.cpp engine on a generated model', () => {
  let model: string;
  before(async () => {
    model = await ensureTestModel('tiny');
  });

  it('asks and streams an answer with stats', async () => {
    const result = await runAnychat(['ask', '--model', model, '--threads', '1', '--context-size', '512', '--max-new-tokens', '8', '--temperature', '0', '--stats', 'Has math been invented or discovered?']);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stdout.length > 1, 'some text was generated');
    assert.match(result.stderr, /finish: (length|eos|stop), \d+ prompt \+ [1-8] new tokens/);
  });

  it('chats over two turns', async () => {
    const result = await runAnychat(['chat', '--model', model, '--threads', '1', '--context-size', '512', '--max-new-tokens', '4'], {
      stdin: 'Which animals live in the savanna?\nWhich is the strongest?\n/exit\n',
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.match(/Assistant: /g)?.length, 2);
  });

  it("renders the follow-up prompt with the model's own chat template", async () => {
    const input = { system: 'Be brief.', history: [['Which animals live in the savanna?', 'Lions.']], message: 'Which is the strongest?' };
    const result = await runAnychat(['render-prompt', '--template', 'model', '--model', model, '--threads', '1', '--context-size', '512'], { stdin: JSON.stringify(input) });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhich animals live in the savanna?<|im_end|>\n<|im_start|>assistant\nLions.<|im_end|>\n<|im_start|>user\nWhich is the strongest?<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it('renders tools with the template given by --chat-template, exactly as transformers does', async () => {
    const fixtures = fileURLToPath(new URL('../fixtures/chat-templates/', import.meta.url));
    const suite = JSON.parse(readFileSync(join(fixtures, 'cases.json'), 'utf8')) as { tools: unknown[] };
    const expected = JSON.parse(readFileSync(join(fixtures, 'expected', 'Qwen-Qwen2.5-7B-Instruct.json'), 'utf8')) as { cases: { tools: { output: string } } };
    const input = { system: 'You are a helpful assistant with tools.', message: "What's the weather in Paris?", tools: suite.tools };
    const template = join(fixtures, 'templates', 'Qwen-Qwen2.5-7B-Instruct.jinja');
    const result = await runAnychat(['render-prompt', '--template', 'model', '--chat-template', template, '--model', model, '--threads', '1', '--context-size', '512'], {
      stdin: JSON.stringify(input),
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, expected.cases.tools.output);
    assert.match(result.stdout, /"name": "get_weather"/);
  });

  it('says in one line which template construct failed and how to get past it, in render-prompt, ask and chat', async (t) => {
    const directory = mkdtempSync(join(tmpdir(), 'anychat-template-'));
    t.after(() => rmSync(directory, { recursive: true, force: true }));
    const template = join(directory, 'uses-wordcount.jinja');
    // jinja2 has a wordcount filter; our renderer does not.
    writeFileSync(template, "{% for message in messages %}{{ message.content | wordcount }}{% endfor %}{{ '<|assistant|>' }}");
    const common = ['--chat-template', template, '--model', model, '--threads', '1', '--context-size', '512'];
    const renderResult = await runAnychat(['render-prompt', '--template', 'model', ...common], { stdin: JSON.stringify({ message: 'hi' }) });
    const askResult = await runAnychat(['ask', '--max-new-tokens', '2', ...common, 'hi']);
    for (const result of [renderResult, askResult]) {
      assert.equal(result.code, 1);
      assert.equal(result.stdout, '');
      assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, /^anychat: chat template .*uses-wordcount\.jinja failed: Unknown StringValue filter: wordcount; pass a template that works with --chat-template FILE, or use --template plain\n$/);
    }
    // chat reports the failed turn the same way and keeps going until /exit.
    const chatResult = await runAnychat(['chat', '--max-new-tokens', '2', ...common], { stdin: 'hi\n/exit\n' });
    assert.equal(chatResult.code, 0, chatResult.stderr);
    assert.match(chatResult.stderr, /^anychat: chat template .*uses-wordcount\.jinja failed: Unknown StringValue filter: wordcount; pass a template that works with --chat-template FILE, or use --template plain$/m);
  });

  it('--grammar-file: the answer follows the grammar; a bad grammar or file is named in one line', async (t) => {
    const directory = mkdtempSync(join(tmpdir(), 'anychat-grammar-'));
    t.after(() => rmSync(directory, { recursive: true, force: true }));
    const grammar = join(directory, 'yes-no.gbnf');
    writeFileSync(grammar, 'root ::= "yes" | "no"');
    const common = ['--model', model, '--threads', '1', '--context-size', '512', '--max-new-tokens', '8'];
    const answered = await runAnychat(['ask', ...common, '--grammar-file', grammar, 'Is it?']);
    assert.equal(answered.code, 0, answered.stderr);
    assert.match(answered.stdout, /^(yes|no)\n?$/);

    const broken = join(directory, 'broken.gbnf');
    writeFileSync(broken, 'root ::= "yes" | undefined-rule');
    const empty = join(directory, 'empty.gbnf');
    writeFileSync(empty, '  \n');
    // llama.cpp's own parser prints where the grammar went wrong, then anychat says what to do.
    const brokenResult = await runAnychat(['ask', ...common, '--grammar-file', broken, 'Is it?']);
    assert.equal(brokenResult.code, 1, brokenResult.stderr);
    assert.match(brokenResult.stderr, /Undefined rule identifier 'undefined-rule'/);
    assert.match(brokenResult.stderr.trimEnd().split('\n').at(-1) ?? '', /^anychat: the --grammar-file grammar does not parse .*write GBNF with a root rule/);
    assert.doesNotMatch(brokenResult.stderr, /\n\s+at /);
    const cases: Array<[string[], RegExp, number]> = [
      [['--grammar-file', empty], /^anychat: --grammar-file .*empty\.gbnf is empty; write a GBNF grammar with a root rule/, 2],
      [['--grammar-file', join(directory, 'missing.gbnf')], /^anychat: cannot read --grammar-file .*missing\.gbnf: ENOENT/, 2],
      [['--grammar-file', grammar, '--backend', 'echo'], /^anychat: --grammar-file works with the llamacpp backend only/, 2],
    ];
    for (const [flags, message, code] of cases) {
      const result = await runAnychat(['ask', ...common, ...flags, 'Is it?']);
      assert.equal(result.code, code, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
    }
  });

  it('names a missing model file and how to fix it', async () => {
    const result = await runAnychat(['ask', '--model', '/nonexistent/model.gguf', 'hello']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /\/nonexistent\/model\.gguf/);
    assert.match(result.stderr, /--model/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });
});
