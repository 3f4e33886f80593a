import { toolDefinitionOf } from '../../chat/chat-tool.ts';
import type { BackendInfo } from '../../backends/backend.ts';
import type { GenerationExtras } from '../../chat/prepare-generation.ts';
import { checkExtrasSupported } from '../models/check-generation-extras.ts';
import { HttpProblem } from '../http-problem.ts';
import type { ChatCompletionRequest, CompletionRequest } from './openai-schemas.ts';

const unsupported = (field: string, message: string) => new HttpProblem(422, 'validation', `${field}: ${message}`, field);

/**
 * Sampling fields anychat does not implement. Refused with 422 naming them rather than ignored,
 * except at their neutral values (0, {}), which many clients send by default.
 */
export function refuseUnsupportedOpenAiFields(body: ChatCompletionRequest | CompletionRequest): void {
  if (body.n !== null && body.n !== undefined && body.n !== 1) throw unsupported('n', 'n must be 1: anychat generates one choice per request');
  if (body.frequency_penalty) throw unsupported('frequency_penalty', 'is not supported by anychat; leave it out or send 0 (use repetition control on the model instead)');
  if (body.presence_penalty) throw unsupported('presence_penalty', 'is not supported by anychat; leave it out or send 0');
  if (body.logit_bias && Object.keys(body.logit_bias).length > 0) throw unsupported('logit_bias', 'is not supported by anychat; leave it out or send {}');
}

/** Tools, response format, logprobs and the thinking switch of a chat request, checked against the backend. */
export function chatExtrasFromOpenAi(body: ChatCompletionRequest, info: BackendInfo): GenerationExtras {
  const tools = (body.tools ?? []).map(toolDefinitionOf);
  const choice = body.tool_choice;
  const toolChoice = choice === null || choice === undefined ? undefined : typeof choice === 'string' ? choice : { name: choice.function.name };
  if ((toolChoice === 'required' || typeof toolChoice === 'object') && tools.length === 0) {
    throw new HttpProblem(400, 'validation', 'tool_choice: asks for a call but "tools" is empty; send the tools the model may call', 'tool_choice');
  }
  if (typeof toolChoice === 'object' && !tools.some((tool) => tool.name === toolChoice.name)) {
    throw new HttpProblem(400, 'validation', `tool_choice: names ${JSON.stringify(toolChoice.name)}, which is not among "tools"`, 'tool_choice');
  }
  const format = body.response_format;
  const responseFormat =
    !format || format.type === 'text'
      ? undefined
      : format.type === 'json_object'
        ? ({ type: 'json-object' } as const)
        : format.json_schema.schema
          ? ({ type: 'json-schema', schema: format.json_schema.schema, name: format.json_schema.name ?? undefined } as const)
          : ({ type: 'json-object' } as const);
  if (body.top_logprobs !== null && body.top_logprobs !== undefined && body.logprobs !== true) {
    throw new HttpProblem(400, 'validation', 'top_logprobs: needs "logprobs": true', 'top_logprobs');
  }
  const extras: GenerationExtras = {
    ...(tools.length > 0 ? { tools } : {}),
    ...(toolChoice ? { toolChoice } : {}),
    ...(body.parallel_tool_calls !== null && body.parallel_tool_calls !== undefined ? { parallelToolCalls: body.parallel_tool_calls } : {}),
    ...(responseFormat ? { responseFormat } : {}),
    ...(body.logprobs === true ? { logprobs: { top: body.top_logprobs ?? 0 } } : {}),
    ...(typeof body.chat_template_kwargs?.enable_thinking === 'boolean' ? { enableThinking: body.chat_template_kwargs.enable_thinking } : {}),
  };
  checkExtrasSupported(extras, info, { tools: 'tools', responseFormat: 'response_format', logprobs: 'top_logprobs' });
  return extras;
}

/** `/v1/completions` takes `logprobs` as the number of alternatives (0–5 in OpenAI's API). */
export function completionExtrasFromOpenAi(body: CompletionRequest, info: BackendInfo): GenerationExtras {
  if (body.logprobs === null || body.logprobs === undefined || body.logprobs === false) return {};
  const top = body.logprobs === true ? 0 : body.logprobs;
  const extras: GenerationExtras = { logprobs: { top } };
  checkExtrasSupported(extras, info, { tools: 'tools', responseFormat: 'response_format', logprobs: 'logprobs' });
  return extras;
}
