import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Backend, FinishReason, GenerationEvent, TokenLogprob, TokenUsage } from '../../backends/backend.ts';
import { generateAnswer } from '../../chat/generate-answer.ts';
import { prepareGeneration, type PreparedGeneration } from '../../chat/prepare-generation.ts';
import { apiErrorHandler, apiNotFoundHandler } from '../error-handler.ts';
import { HttpProblem } from '../http-problem.ts';
import type { ServedModel } from '../models/served-model.ts';
import { prepareRawPrompt } from '../models/prepare-raw-prompt.ts';
import { openAiErrorBody, openAiErrorShape } from '../openai/openai-errors.ts';
import { chatExtrasFromOpenAi, completionExtrasFromOpenAi, refuseUnsupportedOpenAiFields } from '../openai/openai-generation-extras.ts';
import { chatCompletionRequestSchema, completionRequestSchema } from '../openai/openai-schemas.ts';
import {
  chatCompletion,
  chatCompletionChunk,
  generationParametersFromOpenAi,
  legacyLogprobs,
  openAiFinishReason,
  openAiToolCall,
  openAiToolCallDelta,
  splitOpenAiMessages,
  textCompletion,
  usageChunk,
  type CollectedAnswer,
} from '../openai/openai-wire.ts';
import { problemFromBackendError } from '../scheduling/backend-error-problem.ts';
import { startGeneration, type GenerationRun } from '../scheduling/run-generation.ts';
import type { ApiPluginOptions, ServerContext } from '../server-context.ts';
import { onClientDisconnect, SseStream } from '../sse-stream.ts';

const tags = ['OpenAI-compatible'];

/** The OpenAI API subset chat clients use, so the official `openai` client works against `/v1` (the prefix it is registered under). */
export const openAiRoutes: FastifyPluginAsync<ApiPluginOptions> = async (app, { context, auth }) => {
  app.setErrorHandler(apiErrorHandler(openAiErrorShape, context.limits));
  app.setNotFoundHandler(apiNotFoundHandler(openAiErrorShape));
  app.addHook('onRequest', auth.check);
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get('/models', { schema: { tags, summary: 'The served models' } }, async () => ({
    object: 'list',
    data: context.models.models.map((model) => ({ id: model.id, object: 'model', created: 0, owned_by: 'anychat' })),
  }));

  routes.post(
    '/chat/completions',
    { schema: { tags, summary: 'Chat completion, streamed when "stream" is true', body: chatCompletionRequestSchema } },
    async (request, reply) => {
      const body = request.body;
      const model = context.models.resolve(body.model);
      refuseUnsupportedOpenAiFields(body);
      const { system, turns } = splitOpenAiMessages(body.messages);
      const last = turns.at(-1)?.role;
      if (last !== 'user' && last !== 'tool') throw new HttpProblem(400, 'validation', 'the last message must have the role "user" or "tool"', 'messages');
      // A model loaded on demand loads here, the request waiting; held until its generation is queued.
      const lease = await model.acquire();
      let run: GenerationRun;
      let wantsLogprobs: boolean;
      try {
        const { backend, info } = lease;
        const extras = chatExtrasFromOpenAi(body, info);
        wantsLogprobs = extras.logprobs !== undefined;
        const prepared = await prepareGeneration({
          backend,
          info,
          messages: turns,
          settings: { systemMessage: system, parameters: generationParametersFromOpenAi(body) },
          extras,
        });
        run = begin(context, request, reply, model, backend, prepared);
      } finally {
        lease.release();
      }
      const identity = { id: `chatcmpl-${randomUUID()}`, created: nowInSeconds(), model: model.id };
      if (!body.stream) {
        const { answer, reason, usage } = await collect(run, wantsLogprobs);
        return chatCompletion(identity, answer, reason, usage);
      }
      const includeUsage = body.stream_options?.include_usage ?? false;
      await streamOpenAi(reply, run, {
        first: () => chatCompletionChunk(identity, { role: 'assistant', content: '' }, null, includeUsage),
        delta: (text, logprobs) => chatCompletionChunk(identity, { content: text }, null, includeUsage, wantsLogprobs ? (logprobs ?? []) : null),
        reasoning: (text) => chatCompletionChunk(identity, { reasoning_content: text }, null, includeUsage),
        toolCall: (event) => chatCompletionChunk(identity, { tool_calls: [openAiToolCall(event.call, event.index)] }, null, includeUsage),
        toolCallDelta: (event) => chatCompletionChunk(identity, { tool_calls: [openAiToolCallDelta(event)] }, null, includeUsage),
        finish: (reason) => chatCompletionChunk(identity, {}, openAiFinishReason(reason), includeUsage),
        usage: includeUsage ? (usage) => usageChunk(identity, 'chat.completion.chunk', usage) : null,
      });
    },
  );

  routes.post(
    '/completions',
    { schema: { tags, summary: 'Text completion of a raw prompt, streamed when "stream" is true', body: completionRequestSchema } },
    async (request, reply) => {
      const body = request.body;
      const model = context.models.resolve(body.model);
      refuseUnsupportedOpenAiFields(body);
      const prompt = typeof body.prompt === 'string' ? body.prompt : (body.prompt[0] ?? '');
      const lease = await model.acquire();
      let run: GenerationRun;
      let wantsLogprobs: boolean;
      try {
        const { backend, info } = lease;
        const extras = completionExtrasFromOpenAi(body, info);
        wantsLogprobs = extras.logprobs !== undefined;
        const prepared = await prepareRawPrompt(backend, info, prompt, generationParametersFromOpenAi(body), extras);
        run = begin(context, request, reply, model, backend, prepared);
      } finally {
        lease.release();
      }
      const identity = { id: `cmpl-${randomUUID()}`, created: nowInSeconds(), model: model.id };
      const prefix = body.echo ? prompt : '';
      if (!body.stream) {
        const { answer, reason, usage } = await collect(run, wantsLogprobs);
        const logprobs = answer.logprobs ? legacyLogprobs(answer.logprobs, prefix.length) : null;
        return textCompletion(identity, prefix + answer.text, reason, usage, logprobs);
      }
      const includeUsage = body.stream_options?.include_usage ?? false;
      await streamOpenAi(reply, run, {
        first: prefix ? () => textCompletion(identity, prefix, null, null) : null,
        delta: (text, logprobs) => textCompletion(identity, text, null, null, wantsLogprobs ? legacyLogprobs(logprobs ?? []) : null),
        // The legacy API has no place for thinking or calls; a raw prompt rarely opens either.
        reasoning: null,
        toolCall: null,
        toolCallDelta: null,
        finish: (reason) => textCompletion(identity, '', reason, null),
        usage: includeUsage ? (usage) => usageChunk(identity, 'text_completion', usage) : null,
      });
    },
  );
};

function begin(context: ServerContext, request: FastifyRequest, reply: FastifyReply, model: ServedModel, backend: Backend, prepared: PreparedGeneration) {
  // OpenAI's `user` names the client's end user for abuse tracing; the request log is where that lives here.
  const user = (request.body as { user?: string | null }).user;
  if (user) request.log.info({ openAiUser: user }, 'request made for an end user');
  const run = startGeneration(model, (signal) => generateAnswer(backend, prepared, signal), context);
  request.generationStats = run.stats;
  onClientDisconnect(reply, () => run.abort('client-disconnected'));
  return run;
}

async function collect(run: GenerationRun, wantsLogprobs: boolean): Promise<{ answer: CollectedAnswer; reason: FinishReason; usage: TokenUsage }> {
  const answer: CollectedAnswer = { text: '', reasoning: '', toolCalls: [], logprobs: wantsLogprobs ? [] : null };
  for await (const event of run.events) {
    if (event.type === 'text-delta') {
      answer.text += event.text;
      if (event.logprobs) answer.logprobs?.push(...event.logprobs);
    } else if (event.type === 'reasoning-delta') answer.reasoning += event.text;
    else if (event.type === 'tool-call') answer.toolCalls.push(event.call);
    else if (event.type === 'tool-call-delta') continue;
    else if (event.type === 'error') throw problemFromBackendError(event);
    else return { answer, reason: event.reason, usage: event.usage };
  }
  throw new HttpProblem(424, 'generation', 'the backend ended without finishing');
}

interface ChunkMakers {
  first: (() => unknown) | null;
  delta: (text: string, logprobs: readonly TokenLogprob[] | undefined) => unknown;
  reasoning: ((text: string) => unknown) | null;
  toolCall: ((event: Extract<GenerationEvent, { type: 'tool-call' }>) => unknown) | null;
  toolCallDelta: ((event: Extract<GenerationEvent, { type: 'tool-call-delta' }>) => unknown) | null;
  finish: (reason: FinishReason) => unknown;
  usage: ((usage: TokenUsage) => unknown) | null;
}

async function streamOpenAi(reply: FastifyReply, run: GenerationRun, chunks: ChunkMakers): Promise<void> {
  const stream = new SseStream(reply);
  // Calls already streamed fragment by fragment: their complete event adds nothing.
  const streamedCalls = new Set<number>();
  try {
    if (chunks.first) stream.sendJson(chunks.first());
    for await (const event of run.events as AsyncIterable<GenerationEvent>) {
      if (event.type === 'text-delta') {
        stream.sendJson(chunks.delta(event.text, event.logprobs));
        // A reader that does not read pauses the generation here rather than filling memory.
        await stream.drained();
      } else if (event.type === 'reasoning-delta') {
        if (chunks.reasoning) {
          stream.sendJson(chunks.reasoning(event.text));
          await stream.drained();
        }
      } else if (event.type === 'tool-call-delta') {
        if (chunks.toolCallDelta) {
          streamedCalls.add(event.index);
          stream.sendJson(chunks.toolCallDelta(event));
          await stream.drained();
        }
      } else if (event.type === 'tool-call') {
        if (chunks.toolCall && !streamedCalls.has(event.index)) stream.sendJson(chunks.toolCall(event));
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
