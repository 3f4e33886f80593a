import { readGgufFileInfo } from 'node-llama-cpp';
import { renderJinjaPrompt } from '../../../src/chat/templates/jinja-template.ts';

/**
 * The prompt a chat request for `text` becomes: the model's own chat template, rendered by the
 * code anychat's OpenAI route uses. The TGI rows send this as `inputs`, so they do the same work
 * as the OpenAI rows and llama-server (which template the message themselves); sending the bare
 * text made the TGI rows evaluate 25 tokens against the others' 55.
 */
export async function templatedPromptRenderer(modelPath: string): Promise<(text: string) => string> {
  const info = await readGgufFileInfo(modelPath);
  const tokenizer = info.metadata.tokenizer?.ggml;
  const tokens = (tokenizer as { tokens?: readonly string[] } | undefined)?.tokens ?? [];
  const tokenText = (id: number | undefined) => (id === undefined ? null : (tokens[id] ?? null));
  const template = info.metadata.tokenizer?.chat_template;
  if (!template) return (text) => text;
  const context = { bosToken: tokenText(tokenizer?.bos_token_id), eosToken: tokenText(tokenizer?.eos_token_id), templateName: 'the bench model' };
  return (text) => renderJinjaPrompt(template, [{ role: 'user', content: text }], context);
}
