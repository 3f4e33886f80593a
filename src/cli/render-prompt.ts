import { z } from 'zod';
import { createBackend } from '../backends/create-backend.ts';
import { messagesFromHistory } from '../chat/message.ts';
import { prepareGeneration } from '../chat/prepare-generation.ts';
import { backendSettingsFromOptions } from './backend-options.ts';
import type { RenderPromptOptions } from './render-prompt-command.ts';
import { UsageError } from './usage-error.ts';

const renderPromptInputSchema = z.object({
  system: z.string().optional(),
  history: z.array(z.tuple([z.string(), z.string()])).default([]),
  message: z.string(),
});

export async function renderPrompt(options: RenderPromptOptions): Promise<void> {
  const input = parseInput(await readAll(process.stdin));
  // The plain template needs no model; only load one when its template is asked for.
  const backendName = options.template === 'plain' && !options.backend ? 'echo' : undefined;
  const backend = await createBackend(backendSettingsFromOptions({ ...options, ...(backendName ? { backend: backendName } : {}) }));
  try {
    const info = await backend.info();
    const promptInfo = options.template === 'plain' ? { ...info, input: 'prompt' as const } : info;
    const prepared = await prepareGeneration({
      backend,
      info: { ...promptInfo, contextWindow: null },
      messages: messagesFromHistory({ history: input.history, message: input.message }).filter((message) => message.role !== 'system'),
      settings: { systemMessage: input.system, template: options.template },
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
