import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repositoryRoot } from './repository-root.ts';

/**
 * Chat templates copied from the models our test models imitate, so the chat layer renders
 * prompts for them exactly as for the real files.
 */

/**
 * Qwen2.5-Instruct's `tokenizer_config.json` template without its tool-calling branches (the
 * generated models are for chat, and the full template is mostly tool plumbing). Keeps Qwen2.5's
 * default system prompt when the conversation has none.
 */
export const QWEN25_CHAT_TEMPLATE =
  "{%- if messages[0]['role'] == 'system' %}" +
  "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}" +
  '{%- else %}' +
  "{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}" +
  '{%- endif %}' +
  '{%- for message in messages %}' +
  "{%- if message.role != 'system' or not loop.first %}" +
  "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}" +
  '{%- endif %}' +
  '{%- endfor %}' +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

/** SmolLM2-Instruct's template: ChatML with SmolLM's default system prompt. */
export const SMOLLM2_CHAT_TEMPLATE =
  '{% for message in messages %}' +
  "{% if loop.first and messages[0]['role'] != 'system' %}" +
  "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}" +
  '{% endif %}' +
  "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}" +
  '{% endfor %}' +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

/** One of the real templates kept (byte for byte as published) for the template fidelity tests. */
function referenceTemplate(name: string): string {
  return readFileSync(join(repositoryRoot, 'test', 'fixtures', 'chat-templates', 'templates', `${name}.jinja`), 'utf8');
}

/** Qwen3's own template, whole: tools, `<think>` blocks and the `enable_thinking` switch. */
export const QWEN3_CHAT_TEMPLATE = referenceTemplate('Qwen-Qwen3-0.6B');

/** DeepSeek-R1-Distill's own template, which ends the generation prompt with `<think>\n`. */
export const DEEPSEEK_R1_CHAT_TEMPLATE = referenceTemplate('deepseek-ai-DeepSeek-R1-Distill-Llama-8B');

/** gpt-oss's own template: harmony channels, `analysis` for thinking and `final` for the answer. */
export const GPT_OSS_CHAT_TEMPLATE = referenceTemplate('openai-gpt-oss-120b');
