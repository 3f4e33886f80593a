import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FinishReason, GenerationEvent, TokenUsage } from '../../backends/backend.ts';
import { generateAnswer } from '../../chat/generate-answer.ts';
import { prepareGeneration, type PreparedGeneration } from '../../chat/prepare-generation.ts';
import { HttpProblem } from '../http-problem.ts';
import type { ServedModel } from '../models/served-model.ts';
import { prepareRawPrompt } from '../models/prepare-raw-prompt.ts';
import { openAiErrorBody } from '../openai/openai-errors.ts';
import { chatCompletionRequestSchema, completionRequestSchema } from '../openai/openai-schemas.ts';
import {
  chatCompletion,
  chatCompletionChunk,
  generationParametersFromOpenAi,
  openAiFinishReason,
  splitOpenAiMessages,
  textCompletion,
  usageChunk,
} from '../openai/openai-wire.ts';
import { problemFromBackendError } from '../scheduling/backend-error-problem.ts';
import { startGeneration, type GenerationRun } from '../scheduling/run-generation.ts';
import type { ServerContext } from '../server-context.ts';
import { onClientDisconnect, SseStream } from '../sse/sse-stream.ts';

const config = { family: 'openai' as const };
const tags = ['OpenAI-compatible'];

/** The OpenAI API subset chat clients use, so the official `openai` client works against `/v1`. */
export function registerOpenAiRoutes(app: FastifyInstance, context: ServerContext): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get('/v1/models', { config, schema: { tags, summary: 'The served models' } }, async () => ({
    object: 'list',
    data: context.models.models.map((model) => ({ id: model.id, object: 'model', created: 0, owned_by: 'anychat' })),
  }));

  routes.post(
    '/v1/chat/completions',
    { config, schema: { tags, summary: 'Chat completion, streamed when "stream" is true', body: chatCompletionRequestSchema } },
    async (request, reply) => {
      const body = request.body;
      const model = context.models.resolve(body.model);
      const { backend, info } = model.requireReady();
      const { system, turns } = splitOpenAiMessages(body.messages);
      if (turns.at(-1)?.role !== 'user') throw new HttpProblem(400, 'validation', 'the last message must have the role "user"', 'messages');
      const prepared = await prepareGeneration({
        backend,
        info,
        messages: turns,
        settings: { systemMessage: system, parameters: generationParametersFromOpenAi(body) },
      });
      const identity = { id: `chatcmpl-${randomUUID()}`, created: nowInSeconds(), model: model.id };
      const run = begin(context, request, reply, model, prepared);
      if (!body.stream) {
        const { text, reason, usage } = await collect(run);
        return chatCompletion(identity, text, reason, usage);
      }
      const includeUsage = body.stream_options?.include_usage ?? false;
      await streamOpenAi(reply, run, {
        first: () => chatCompletionChunk(identity, { role: 'assistant', content: '' }, null, includeUsage),
        delta: (text) => chatCompletionChunk(identity, { content: text }, null, includeUsage),
        finish: (reason) => chatCompletionChunk(identity, {}, openAiFinishReason(reason), includeUsage),
        usage: includeUsage ? (usage) => usageChunk(identity, 'chat.completion.chunk', usage) : null,
      });
    },
  );

  routes.post(
    '/v1/completions',
    { config, schema: { tags, summary: 'Text completion of a raw prompt, streamed when "stream" is true', body: completionRequestSchema } },
    async (request, reply) => {
      const body = request.body;
      const model = context.models.resolve(body.model);
      const { backend, info } = model.requireReady();
      const prompt = typeof body.prompt === 'string' ? body.prompt : (body.prompt[0] ?? '');
      const prepared = await prepareRawPrompt(backend, info, prompt, generationParametersFromOpenAi(body));
      const identity = { id: `cmpl-${randomUUID()}`, created: nowInSeconds(), model: model.id };
      const prefix = body.echo ? prompt : '';
      const run = begin(context, request, reply, model, prepared);
      if (!body.stream) {
        const { text, reason, usage } = await collect(run);
        return textCompletion(identity, prefix + text, reason, usage);
      }
      const includeUsage = body.stream_options?.include_usage ?? false;
      await streamOpenAi(reply, run, {
        first: prefix ? () => textCompletion(identity, prefix, null, null) : null,
        delta: (text) => textCompletion(identity, text, null, null),
        finish: (reason) => textCompletion(identity, '', reason, null),
        usage: includeUsage ? (usage) => usageChunk(identity, 'text_completion', usage) : null,
      });
    },
  );
}

function begin(context: ServerContext, request: FastifyRequest, reply: FastifyReply, model: ServedModel, prepared: PreparedGeneration) {
  const { backend } = model.requireReady();
  const run = startGeneration(model, (signal) => generateAnswer(backend, prepared, signal), context);
  request.generationStats = run.stats;
  onClientDisconnect(reply, () => run.abort('client-disconnected'));
  return run;
}

async function collect(run: GenerationRun): Promise<{ text: string; reason: FinishReason; usage: TokenUsage }> {
  let text = '';
  for await (const event of run.events) {
    if (event.type === 'text-delta') text += event.text;
    else if (event.type === 'error') throw problemFromBackendError(event);
    else return { text, reason: event.reason, usage: event.usage };
  }
  throw new HttpProblem(424, 'generation', 'the backend ended without finishing');
}

interface ChunkMakers {
  first: (() => unknown) | null;
  delta: (text: string) => unknown;
  finish: (reason: FinishReason) => unknown;
  usage: ((usage: TokenUsage) => unknown) | null;
}

async function streamOpenAi(reply: FastifyReply, run: GenerationRun, chunks: ChunkMakers): Promise<void> {
  const stream = new SseStream(reply);
  try {
    if (chunks.first) stream.sendJson(chunks.first());
    for await (const event of run.events as AsyncIterable<GenerationEvent>) {
      if (event.type === 'text-delta') {
        stream.sendJson(chunks.delta(event.text));
        // A reader that does not read pauses the generation here rather than filling memory.
        await stream.drained();
      } else if (event.type === 'finish') {
        if (event.reason === 'aborted') return;
        stream.sendJson(chunks.finish(event.reason));
        if (chunks.usage) stream.sendJson(chunks.usage(event.usage));
        stream.send('[DONE]');
      } else {
        // The `openai` client throws an APIError when a streamed chunk carries `error`.
        stream.sendJson(openAiErrorBody(problemFromBackendError(event)));
      }
    }
  } finally {
    stream.end();
  }
}

function nowInSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
