import { NO_CAPABILITIES, type BackendInfo } from '../../backends/backend.ts';
import type { GenerationExtras } from '../../chat/prepare-generation.ts';
import { findUnsupportedSchemaFeature } from '../../chat/structured-output/grammar-schema-support.ts';
import { HttpProblem } from '../http-problem.ts';

/** The request field each extra came from, so a refusal names what the client sent. */
export interface ExtraFieldNames {
  tools: string;
  responseFormat: string;
  logprobs: string;
}

/**
 * Refuses (422, naming the field) what the model's backend cannot honour: a response format it
 * cannot enforce, a schema keyword its grammar cannot express, tools, or more logprob
 * alternatives than it computes. Called before anything is generated, so streams never start
 * only to fail.
 */
export function checkExtrasSupported(extras: GenerationExtras, info: BackendInfo, fields: ExtraFieldNames): void {
  const capabilities = info.capabilities ?? NO_CAPABILITIES;
  const refuse = (field: string, message: string): never => {
    throw new HttpProblem(422, 'validation', `${field}: ${message}`, field);
  };
  if (extras.tools?.length && !capabilities.tools) refuse(fields.tools, `the ${info.backend} backend cannot call tools`);
  const format = extras.responseFormat;
  if (format && !capabilities.responseFormats.includes(format.type)) {
    refuse(fields.responseFormat, `the ${info.backend} backend cannot enforce a ${format.type} response format`);
  }
  if (capabilities.schemaByLocalGrammar) {
    const schemas = [
      ...(format?.type === 'json-schema' ? [{ field: fields.responseFormat, schema: format.schema }] : []),
      ...(extras.toolChoice !== 'none' && extras.toolChoice !== 'auto' && extras.toolChoice !== undefined
        ? (extras.tools ?? []).map((tool) => ({ field: `${fields.tools} (${tool.name})`, schema: tool.parameters ?? {} }))
        : []),
    ];
    for (const { field, schema } of schemas) {
      const feature = findUnsupportedSchemaFeature(schema);
      if (feature) refuse(field, `the schema keyword "${feature.keyword}" (at ${feature.path}) cannot be enforced by the ${info.backend} backend's grammar; remove it`);
    }
  }
  if (extras.logprobs) {
    if (capabilities.maxTopLogprobs === null) refuse(fields.logprobs, `the ${info.backend} backend does not report log-probabilities`);
    else if (extras.logprobs.top > capabilities.maxTopLogprobs) {
      refuse(fields.logprobs, `at most ${capabilities.maxTopLogprobs} alternatives per token, got ${extras.logprobs.top}`);
    }
  }
}
