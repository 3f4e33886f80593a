import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { MAX_STOP_SEQUENCES } from '../../chat/generation-parameters.ts';
import { generateAnswer } from '../../chat/generate-answer.ts';
import { apiErrorHandler } from '../error-handler.ts';
import { HttpProblem } from '../http-problem.ts';
import { prepareRawPrompt } from '../models/prepare-raw-prompt.ts';
import type { ServedModel } from '../models/served-model.ts';
import { problemFromBackendError } from '../scheduling/backend-error-problem.ts';
import { startGeneration, type GenerationRun } from '../scheduling/run-generation.ts';
import type { ApiPluginOptions, ServerContext } from '../server-context.ts';
import { onClientDisconnect, SseStream } from '../sse-stream.ts';
import { tgiErrorBody, tgiErrorShape } from '../tgi/tgi-errors.ts';
import { generationParametersFromTgi, refuseUnsupportedTgiParameters, tgiExtras } from '../tgi/tgi-parameters.ts';
import { tgiCompatRequestSchema, tgiGenerateRequestSchema, type TgiGenerateRequest } from '../tgi/tgi-schemas.ts';
import { tgiFinishReason, tgiPrefillToken, tgiToken, tgiTopTokens, TgiStreamWriter, type TgiGenerateResponse, type TgiToken } from '../tgi/tgi-wire.ts';

const tags = ['TGI-compatible'];

/**
 * text-generation-inference's API, so TGI clients (the lesson's `text_generation.Client`,
 * anychat's own `tgi` backend, huggingface.js) work unchanged. TGI serves one model: the default.
 *
 * Registered at the root, as TGI clients expect, so it has no not-found handler of its own: the
 * root's (page-routes.ts) answers unknown root URLs in TGI's shape.
 */
export const tgiRoutes: FastifyPluginAsync<ApiPluginOptions> = async (app, { context, auth }) => {
  app.setErrorHandler(apiErrorHandler(tgiErrorShape, context.limits));
  app.addHook('onRequest', auth.check);
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.post('/generate', { schema: { tags, summary: 'Generate text', body: tgiGenerateRequestSchema } }, (request, reply) =>
    generate(context, request, reply, request.body),
  );

  routes.post(
    '/generate_stream',
    { schema: { tags, summary: 'Generate text as server-sent events', body: tgiGenerateRequestSchema } },
    (request, reply) => generateStream(context, request, reply, request.body),
  );

  routes.post(
    '/',
    { schema: { tags, summary: 'TGI compat route: generates, or streams when "stream" is true', body: tgiCompatRequestSchema } },
    async (request, reply) => {
      if (request.body.stream) return generateStream(context, request, reply, request.body);
      // TGI wraps the compat route's answer in a list, as the Inference API did; clients read [0].
      const response = await generate(context, request, reply, request.body);
      return [response];
    },
  );

  routes.get('/info', { schema: { tags, summary: 'The served model, in TGI’s format' } }, async (request) => {
    const model = tgiModelOf(context, request);
    const info = model.info;
    const window = info?.contextWindow ?? null;
    return {
      model_id: info?.modelId ?? model.id,
      model_sha: null,
      model_dtype: null,
      model_device_type: null,
      model_pipeline_tag: 'text-generation',
      max_concurrent_requests: model.queue.parallel + model.queue.maxQueue,
      max_best_of: 1,
      max_stop_sequences: MAX_STOP_SEQUENCES,
      max_input_tokens: window === null ? null : Math.max(window - 1, 0),
      max_total_tokens: window,
      validation_workers: 1,
      max_client_batch_size: 1,
      router: 'anychat',
      version: context.version,
      sha: null,
      docker_label: null,
      // Not TGI's: lets anychat clients tell it is another anychat, and which backend it runs.
      backend: info?.backend ?? null,
      status: model.status,
    };
  });

  routes.post(
    '/tokenize',
    { schema: { tags, summary: 'Tokenize inputs (backends with a tokenizer only)', body: tgiGenerateRequestSchema } },
    async (request) => {
      // Held while it tokenizes: a model loaded on demand is not unloaded under it.
      const lease = await tgiModelOf(context, request).acquire();
      try {
        const { backend } = lease;
        if (!backend.tokenize) {
          // TGI's own answer when it has no tokenizer; echo, tgi and openai backends only estimate.
          throw new HttpProblem(404, 'not-found', `No fast tokenizer available: the ${backend.name} backend only estimates token counts (${await backend.countTokens(request.body.inputs)} for these inputs)`);
        }
        let offset = 0;
        return (await backend.tokenize(request.body.inputs)).map((token) => {
          const start = offset;
          offset += token.text.length;
          return { id: token.id, text: token.text, start, stop: offset };
        });
      } finally {
        lease.release();
      }
    },
  );
};

async function startTgiGeneration(context: ServerContext, request: FastifyRequest, body: TgiGenerateRequest, streaming: boolean) {
  const model = tgiModelOf(context, request);
  refuseUnsupportedTgiParameters(body.parameters);
  const lease = await model.acquire();
  try {
    const { backend, info } = lease;
    const extras = tgiExtras(body.parameters, info, streaming);
    const prepared = await prepareRawPrompt(backend, info, body.inputs, generationParametersFromTgi(body.parameters), extras);
    const run = startGeneration(model, (signal) => generateAnswer(backend, prepared, signal), context);
    request.generationStats = run.stats;
    return { run, prepared, prefix: body.parameters?.return_full_text ? body.inputs : '' };
  } finally {
    lease.release();
  }
}

/**
 * TGI's API has no field naming a model (a TGI server serves one), so TGI clients get the default
 * model; another is picked with the `X-Anychat-Model` header or the `model` query parameter
 * (`POST /generate?model=ID`), the header winning when both are given. An unknown id is a 404
 * naming the known ones, as on the OpenAI routes.
 */
export function tgiModelOf(context: ServerContext, request: FastifyRequest): ServedModel {
  const header = request.headers['x-anychat-model'];
  const query = (request.query as { model?: unknown } | undefined)?.model;
  const named = typeof header === 'string' && header !== '' ? header : typeof query === 'string' && query !== '' ? query : null;
  if (named === null) return context.models.defaultModel;
  // Unlike OpenAI's `model`, which every client must send, a TGI client naming a model means it.
  const found = context.models.models.find((model) => model.id === named);
  if (found) return found;
  throw new HttpProblem(404, 'not-found', `no model named ${JSON.stringify(named)}; this server has ${context.models.models.map((model) => model.id).join(', ')}`, 'model');
}

async function generate(
  context: ServerContext,
  request: FastifyRequest,
  reply: FastifyReply,
  body: TgiGenerateRequest,
): Promise<TgiGenerateResponse> {
  const { run, prepared, prefix } = await startTgiGeneration(context, request, body, false);
  onClientDisconnect(reply, () => run.abort('client-disconnected'));
  let text = '';
  const tokens: TgiToken[] = [];
  const topTokens: TgiToken[][] = [];
  for await (const event of run.events) {
    if (event.type === 'text-delta') {
      text += event.text;
      tokens.push(tgiToken(event));
      topTokens.push(tgiTopTokens(event));
    } else if (event.type === 'reasoning-delta' || event.type === 'tool-call' || event.type === 'tool-call-delta') {
      // A raw prompt opens no template, so neither comes; TGI's API has no field for them.
      continue;
    } else if (event.type === 'error') {
      throw problemFromBackendError(event);
    } else {
      // TGI's OpenAPI document gives `details` a default of true; the Python client always asks.
      const wantsDetails = body.parameters?.details ?? true;
      return {
        generated_text: prefix + text,
        ...(wantsDetails
          ? {
              details: {
                finish_reason: tgiFinishReason(event.reason),
                generated_tokens: event.usage.completionTokens,
                seed: prepared.parameters.seed ?? null,
                prefill: (event.promptLogprobs ?? []).map(tgiPrefillToken),
                tokens,
                ...(prepared.request.logprobs ? { top_tokens: topTokens } : {}),
              },
            }
          : {}),
      };
    }
  }
  throw new HttpProblem(424, 'generation', 'the backend ended without finishing');
}

async function generateStream(context: ServerContext, request: FastifyRequest, reply: FastifyReply, body: TgiGenerateRequest): Promise<void> {
  // Everything that can be refused (validation, window, queue) is refused here, as a JSON error.
  const { run, prepared, prefix } = await startTgiGeneration(context, request, body, true);
  const stream = new SseStream(reply);
  onClientDisconnect(reply, () => run.abort('client-disconnected'));
  const writer = new TgiStreamWriter({ details: body.parameters?.details ?? true, prefix, parameters: prepared.parameters });
  await pipeTgiEvents(run, stream, writer);
}

async function pipeTgiEvents(run: GenerationRun, stream: SseStream, writer: TgiStreamWriter): Promise<void> {
  try {
    for await (const event of run.events) {
      if (event.type === 'text-delta') {
        stream.sendJson(writer.delta(event));
        // A reader that does not read pauses the generation here rather than filling memory.
        await stream.drained();
      } else if (event.type === 'reasoning-delta' || event.type === 'tool-call' || event.type === 'tool-call-delta') continue;
      else if (event.type === 'finish') {
        if (event.reason !== 'aborted') stream.sendJson(writer.finish(event));
      } else {
        // Headers are gone; TGI reports a failure mid-stream as an event with `error` and `error_type`.
        stream.sendJson(tgiErrorBody(problemFromBackendError(event)));
      }
    }
  } finally {
    stream.end();
  }
}
