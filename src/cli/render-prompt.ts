import type { Command } from 'commander';
import { z } from 'zod';
import { createBackend } from '../backends/create-backend.ts';
import { messagesFromHistory } from '../chat/message.ts';
import { prepareGeneration } from '../chat/prepare-generation.ts';
import { addBackendOptions, backendSettingsFromOptions, type BackendOptionValues } from './backend-options.ts';
import { runAction } from './run-action.ts';
import { UsageError } from './usage-error.ts';
import type { PromptTemplateName } from '../chat/conversation.ts';
import { Option } from 'commander';

const renderPromptInputSchema = z.object({
  system: z.string().optional(),
  history: z.array(z.tuple([z.string(), z.string()])).default([]),
  message: z.string(),
});

export function registerRenderPromptCommand(program: Command): void {
  const command = program
    .command('render-prompt')
    .description('read {"system", "history": [["user", "assistant"], …], "message"} as JSON on stdin and print exactly the prompt that would be sent (the plain template unless a model is given)')
    .addOption(new Option('--template <name>', "plain (the lesson's format) or model (the model's own chat template)").choices(['plain', 'model']));
  addBackendOptions(command);
  command.action(runAction(async (options: BackendOptionValues & { template?: PromptTemplateName }) => renderPrompt(options)));
}

async function renderPrompt(options: BackendOptionValues & { template?: PromptTemplateName }): Promise<void> {
  const input = parseInput(await readAll(process.stdin));
  // Without a model named, render the lesson's plain template: rendering a prompt must never start
  // a download of the default model.
  const modelNamed = Boolean(options.model || options.endpoint || options.backend);
  if (!modelNamed && (options.template === 'model' || options.chatTemplate)) {
    throw new UsageError('the model’s template needs a model: pass --model PATH.gguf (or hf:owner/repo/file.gguf) or --endpoint URL, or leave --template out for the plain one');
  }
  const template = modelNamed ? options.template : 'plain';
  // The plain template needs no model; only load one when its template is asked for.
  const backendName = template === 'plain' && !options.backend ? 'echo' : undefined;
  const backend = await createBackend(backendSettingsFromOptions({ ...options, ...(backendName ? { backend: backendName } : {}) }));
  try {
    const info = await backend.info();
    const promptInfo = template === 'plain' ? { ...info, input: 'prompt' as const } : info;
    const prepared = await prepareGeneration({
      backend,
      info: { ...promptInfo, contextWindow: null },
      messages: messagesFromHistory({ history: input.history, message: input.message }).filter((message) => message.role !== 'system'),
      settings: { systemMessage: input.system, template },
      allowEmptyMessage: true,
    });
    const sent = prepared.sentPrompt;
    process.stdout.write(sent.kind === 'text' ? sent.text : `${JSON.stringify(sent.messages, null, 2)}\n`);
  } finally {
    await backend.close();
  }
}

function parseInput(text: string) {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`stdin is not valid JSON (${(error as Error).message}); expected {"system": "...", "history": [["user", "assistant"]], "message": "..."}`);
  }
  const result = renderPromptInputSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new UsageError(`stdin JSON: ${issue?.path.join('.') || '(top level)'}: ${issue?.message}; expected {"system": "...", "history": [["user", "assistant"]], "message": "..."}`);
  }
  return result.data;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
