import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChatTemplateError, renderJinjaPrompt } from './jinja-template.ts';

// ChatML, as Qwen2.5's GGUF carries it (trimmed of tool-calling branches).
const chatMl =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

// Gemma's template raises on a system role.
const gemmaLike =
  "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{{ '<start_of_turn>' + message['role'] + '\\n' + message['content'] + '<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}";

describe('jinja chat template', () => {
  it('renders ChatML with a generation prompt', () => {
    const prompt = renderJinjaPrompt(
      chatMl,
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      { bosToken: null, eosToken: '<|im_end|>' },
    );
    assert.equal(prompt, '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
  });

  it('folds the system message into the first user message when the template refuses a system role', () => {
    const prompt = renderJinjaPrompt(
      gemmaLike,
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      { bosToken: '<bos>', eosToken: '<eos>' },
    );
    assert.equal(prompt, '<bos><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\n');
  });

  it('names the template and the construct it could not run, in one line, with the way out', () => {
    assert.throws(
      () => renderJinjaPrompt("{{ messages[0].content.zfill(3) }}", [{ role: 'user', content: 'x' }], { bosToken: null, eosToken: null, templateName: 'chat template my.jinja' }),
      (error: unknown) =>
        error instanceof ChatTemplateError &&
        error.reason === 'unsupported' &&
        error.message ===
          'chat template my.jinja failed: Cannot call the method .zfill() of a str: it is not a function (got UndefinedValue); pass a template that works with --chat-template FILE, or use --template plain',
    );
  });

  it('reports a broken template clearly', () => {
    assert.throws(() => renderJinjaPrompt('{% for %}', [{ role: 'user', content: 'x' }], { bosToken: null, eosToken: null }), ChatTemplateError);
  });
});
