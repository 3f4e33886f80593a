import { z } from 'zod';
import { createBackend } from '../backends/create-backend.ts';
import { chatToolSchema, toolDefinitionOf } from '../chat/chat-tool.ts';
import { messagesFromHistory } from '../chat/message.ts';
import { prepareGeneration } from '../chat/prepare-generation.ts';
import { chosenModelSettings } from './configured-models.ts';
import { backendSettingsFromOptions } from './backend-options.ts';
import type { RenderPromptOptions } from './render-prompt-command.ts';
import { UsageError } from './usage-error.ts';

const renderPromptInputSchema = z.object({
  system: z.string().optional(),
  history: z.array(z.tuple([z.string(), z.string()])).default([]),
  message: z.string(),
  /** OpenAI-shaped function tools, rendered by the model's template as a tool-using request would be. */
  tools: z.array(chatToolSchema).optional(),
});

const expectedShape = '{"system": "...", "history": [["user", "assistant"]], "message": "...", "tools": [{"type": "function", "function": {"name": "...", "parameters": {...}}}]}';

export async function renderPrompt(options: RenderPromptOptions): Promise<void> {
  const input = parseInput(await readAll(process.stdin));
  // Without a model named, render the lesson's plain template: rendering a prompt must never start
  // a download of the default model.
  const fromModelList = Boolean(options.models || options.modelsDir);
  const modelNamed = fromModelList || Boolean(options.model || options.endpoint || options.backend);
  if (!modelNamed && (options.template === 'model' || options.chatTemplate)) {
    throw new UsageError('the model’s template needs a model: pass --model PATH.gguf (or hf:owner/repo/file.gguf) or --endpoint URL, or leave --template out for the plain one');
  }
  const template = modelNamed ? options.template : 'plain';
  // The plain template needs no model; only load one when its template is asked for.
  const backendName = template === 'plain' && !options.backend ? 'echo' : undefined;
  // A models file: the model --model names there (or its default), as for ask and chat.
  const settings = fromModelList && !backendName ? chosenModelSettings(options) : backendSettingsFromOptions({ ...options, ...(backendName ? { backend: backendName } : {}) });
  const backend = await createBackend(settings);
  try {
    const info = await backend.info();
    const promptInfo = template === 'plain' ? { ...info, input: 'prompt' as const } : info;
    const prepared = await prepareGeneration({
      backend,
      info: { ...promptInfo, contextWindow: null },
      messages: messagesFromHistory({ history: input.history, message: input.message }).filter((message) => message.role !== 'system'),
      settings: { systemMessage: input.system, template },
      allowEmptyMessage: true,
      // The tools as the served APIs take them, so the prompt is the one a tool-using request gets.
      ...(input.tools
        ? { extras: { tools: input.tools.map(toolDefinitionOf) } }
        : {}),
    });
    if (input.tools && prepared.template === 'plain') {
      throw new UsageError("the lesson's plain template has no place for tools; use --template model with a model (or --chat-template FILE) whose template renders them");
    }
    const sent = prepared.sentPrompt;
    if (sent.kind === 'text') process.stdout.write(sent.text);
    // A backend that takes messages gets the tools beside them, as the request carries them.
    else process.stdout.write(`${JSON.stringify(input.tools ? { messages: sent.messages, tools: input.tools } : sent.messages, null, 2)}\n`);
  } finally {
    await backend.close();
  }
}

function parseInput(text: string) {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`stdin is not valid JSON (${(error as Error).message}); expected ${expectedShape}`);
  }
  const result = renderPromptInputSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new UsageError(`stdin JSON: ${issue?.path.join('.') || '(top level)'}: ${issue?.message}; expected ${expectedShape}`);
  }
  return result.data;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
