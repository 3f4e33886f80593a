import { appErrorShape } from './app-api/app-api-errors.ts';
import type { ApiErrorShape } from './error-handler.ts';
import { openAiErrorShape } from './openai/openai-errors.ts';
import { tgiErrorShape } from './tgi/tgi-errors.ts';

/*
 * Where each API is mounted. The OpenAI and app APIs each live in a plugin under a prefix, with
 * their own error and not-found handlers. TGI's routes sit at the root, where TGI clients expect
 * them, so every root URL no other API claims (the page's, /health, unknown ones) answers errors
 * in TGI's shape.
 */
export const OPENAI_API_PREFIX = '/v1';
export const APP_API_PREFIX = '/api';

const prefixedApis = [
  { prefix: OPENAI_API_PREFIX, errorShape: openAiErrorShape },
  { prefix: APP_API_PREFIX, errorShape: appErrorShape },
];

/** Whether a URL lies under a prefix, as Fastify's not-found routing counts it (the prefix itself included). */
function isUnderPrefix(url: string, prefix: string): boolean {
  const path = url.split('?')[0] ?? '';
  return path === prefix || path.startsWith(`${prefix}/`);
}

/**
 * The error shape of the API a URL names, for the few errors raised where Fastify has picked no
 * plugin yet: a URL the router cannot decode (`frameworkErrors`), a request Node's parser refuses
 * (`clientErrorHandler`), and a GET the page's catch-all route took in but has no file for.
 * Everything routed gets its plugin's own handlers instead.
 */
export function errorShapeOfUrl(url: string): ApiErrorShape {
  return prefixedApiOf(url)?.errorShape ?? tgiErrorShape;
}

/** Whether the URL lies under the OpenAI or the app API's prefix. */
export function isPrefixedApiUrl(url: string): boolean {
  return prefixedApiOf(url) !== undefined;
}

function prefixedApiOf(url: string) {
  return prefixedApis.find(({ prefix }) => isUnderPrefix(url, prefix));
}
