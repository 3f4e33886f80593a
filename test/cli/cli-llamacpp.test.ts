import assert from 'node:assert/strict';
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

  it('names a missing model file and how to fix it', async () => {
    const result = await runAnychat(['ask', '--model', '/nonexistent/model.gguf', 'hello']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /\/nonexistent\/model\.gguf/);
    assert.match(result.stderr, /--model/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });
});
