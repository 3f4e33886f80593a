/**
 * Near-valid request bodies: each route's valid body with a few fields replaced, removed or added.
 * Random JSON alone is refused at the first field; these reach the checks behind it (ranges,
 * context window, stored settings, the generation itself).
 */
import fc from 'fast-check';
import { anyJson, awkwardString, numericFieldValue, unknownFields, wrongType } from './fuzz-arbitraries.ts';
import type { AppRoute } from './list-app-routes.ts';

interface BodyTemplate {
  readonly valid: Record<string, unknown>;
  /** Dotted paths of the fields worth mutating; numbers index into lists. */
  readonly fields: readonly string[];
  /** The field that holds the main text, where huge strings and odd bytes go. */
  readonly textField: string;
}

const tgiFields = [
  'inputs', 'parameters', 'parameters.max_new_tokens', 'parameters.temperature', 'parameters.top_p', 'parameters.top_k',
  'parameters.repetition_penalty', 'parameters.seed', 'parameters.stop', 'parameters.stop.0', 'parameters.do_sample',
  'parameters.details', 'parameters.return_full_text', 'parameters.best_of', 'parameters.truncate', 'parameters.typical_p',
  'parameters.watermark', 'parameters.top_n_tokens', 'parameters.frequency_penalty', 'parameters.grammar', 'parameters.adapter_id',
  'parameters.decoder_input_details',
];
const tgiTemplate: BodyTemplate = {
  valid: { inputs: 'Hello there, how are you', parameters: { max_new_tokens: 5, stop: ['\nUser:'] } },
  fields: tgiFields,
  textField: 'inputs',
};

const openAiSamplingFields = [
  'model', 'stream', 'stream_options', 'stream_options.include_usage', 'max_tokens', 'temperature', 'top_p', 'seed', 'stop', 'stop.0',
  'n', 'frequency_penalty', 'presence_penalty',
];

const settingsFields = [
  'settings', 'settings.systemMessage', 'settings.template', 'settings.modelId', 'settings.parameters',
  'settings.parameters.maxNewTokens', 'settings.parameters.temperature', 'settings.parameters.topP', 'settings.parameters.topK',
  'settings.parameters.repetitionPenalty', 'settings.parameters.seed', 'settings.parameters.stop', 'settings.parameters.stop.0',
];
const validSettings = { systemMessage: 'Be brief.', template: 'plain', parameters: { maxNewTokens: 5, temperature: 0.5 } };
const settingsTemplate: BodyTemplate = { valid: { settings: validSettings }, fields: settingsFields, textField: 'settings.systemMessage' };

/** Keyed by `METHOD /url`, as listAppRoutes reports routes. */
const templates: Record<string, BodyTemplate> = {
  'POST /generate': tgiTemplate,
  'POST /generate_stream': tgiTemplate,
  'POST /tokenize': tgiTemplate,
  'POST /': { ...tgiTemplate, valid: { ...tgiTemplate.valid, stream: false }, fields: [...tgiFields, 'stream'] },
  'POST /v1/chat/completions': {
    valid: { model: 'echo', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello there' }], max_tokens: 5 },
    fields: [
      ...openAiSamplingFields, 'max_completion_tokens',
      'messages', 'messages.0', 'messages.0.role', 'messages.1', 'messages.1.role', 'messages.1.content', 'messages.1.content.0',
    ],
    textField: 'messages.1.content',
  },
  'POST /v1/completions': {
    valid: { model: 'echo', prompt: 'Once upon a time', max_tokens: 5 },
    fields: [...openAiSamplingFields, 'prompt', 'prompt.0', 'echo'],
    textField: 'prompt',
  },
  'POST /api/conversations': { valid: { title: 'A title', settings: validSettings }, fields: ['title', ...settingsFields], textField: 'title' },
  'PATCH /api/conversations/:id': {
    valid: { title: 'Renamed', settings: validSettings },
    fields: ['title', 'activeLeafId', ...settingsFields],
    textField: 'settings.systemMessage',
  },
  'POST /api/conversations/:id/messages': {
    valid: { content: 'Hello there friend', settings: validSettings },
    fields: ['content', 'parentId', ...settingsFields],
    textField: 'content',
  },
  'POST /api/messages/:id/regenerate': settingsTemplate,
  'POST /api/messages/:id/continue': settingsTemplate,
  'POST /api/messages/:id/edit': {
    valid: { content: 'Edited question', settings: validSettings },
    fields: ['content', ...settingsFields],
    textField: 'content',
  },
  'POST /api/login': { valid: { apiKey: 'some-key' }, fields: ['apiKey'], textField: 'apiKey' },
  // As report-uri sends it, but as application/json, which the route also reads.
  'POST /api/csp-report': {
    valid: { 'csp-report': { 'effective-directive': 'script-src-elem', 'blocked-uri': 'inline', 'document-uri': 'http://127.0.0.1/', 'line-number': 3 } },
    fields: ['csp-report', 'csp-report.effective-directive', 'csp-report.violated-directive', 'csp-report.blocked-uri', 'csp-report.line-number', 'csp-report.script-sample'],
    textField: 'csp-report.script-sample',
  },
};

const templateOf = (route: AppRoute): BodyTemplate | undefined => templates[`${route.method} ${route.url}`];

/** A replacement for one field: an empty value, a boundary number, an awkward string, random JSON, the wrong type, or removal. */
const replacement: fc.Arbitrary<unknown> = fc.oneof(
  // Empty values first: "present but empty" is where required-field checks most often slip.
  { weight: 2, arbitrary: fc.constantFrom(null, '', ' ', [], {}, [''], [null]) },
  { weight: 3, arbitrary: numericFieldValue },
  { weight: 3, arbitrary: awkwardString },
  { weight: 1, arbitrary: anyJson },
  { weight: 1, arbitrary: wrongType },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

/** A route's valid body with one to three mutations, or null for routes that take no body. */
export function nearValidBody(route: AppRoute): fc.Arbitrary<Record<string, unknown>> | null {
  const template = templateOf(route);
  return template ? mutatedBodies(template.valid, template.fields) : null;
}

/** `valid` with one to three of `fields` replaced or removed, or unknown fields added beside them. */
export function mutatedBodies(valid: Record<string, unknown>, fields: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  const objectFields = ['', ...fields.filter((field) => !/\.\d+$/.test(field))];
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), field: fc.constantFrom(...fields), value: replacement }),
    fc.record({ kind: fc.constant('add' as const), field: fc.constantFrom(...objectFields), extra: unknownFields }),
  );
  return fc.array(mutation, { minLength: 1, maxLength: 3 }).map((mutations) => {
    const body = structuredClone(valid);
    for (const change of mutations) {
      if (change.kind === 'set') setPath(body, change.field, change.value);
      else addFields(body, change.field, change.extra);
    }
    return body;
  });
}

/** A route's valid body with `text` in its main text field (huge strings, odd characters), or null. */
export function bodyWithText(route: AppRoute, text: string): Record<string, unknown> | null {
  const template = templateOf(route);
  if (!template) return null;
  const body = structuredClone(template.valid);
  setPath(body, template.textField, text);
  return body;
}

/** The route's valid body as JSON text, with `rawValue` spliced in as its main text field's raw JSON value. */
export function bodyTextWithRawValue(route: AppRoute, rawValue: string): string | null {
  const marker = 'FUZZ-RAW-VALUE-MARKER';
  const body = bodyWithText(route, marker);
  return body ? JSON.stringify(body).replace(`"${marker}"`, rawValue) : null;
}

const numericFieldNames = new Set([
  'max_new_tokens', 'temperature', 'top_p', 'top_k', 'repetition_penalty', 'seed', 'best_of', 'truncate', 'typical_p', 'top_n_tokens',
  'frequency_penalty', 'presence_penalty', 'max_tokens', 'max_completion_tokens', 'n', 'maxNewTokens', 'topP', 'topK', 'repetitionPenalty',
]);

/** The route's numeric fields (sampling parameters, token limits), as dotted paths. */
export function numericFieldsOf(route: AppRoute): string[] {
  return (templateOf(route)?.fields ?? []).filter((field) => numericFieldNames.has(field.split('.').at(-1) ?? ''));
}

/** The route's valid body with one field set to `value`. */
export function bodyWithField(route: AppRoute, field: string, value: unknown): Record<string, unknown> | null {
  const template = templateOf(route);
  if (!template) return null;
  const body = structuredClone(template.valid);
  setPath(body, field, value);
  return body;
}

export function validBodyOf(route: AppRoute): Record<string, unknown> | null {
  const template = templateOf(route);
  return template ? structuredClone(template.valid) : null;
}

function setPath(target: Record<string, unknown>, dottedPath: string, value: unknown): void {
  const keys = dottedPath.split('.');
  let cursor: unknown = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof cursor !== 'object' || cursor === null) return;
    const record = cursor as Record<string, unknown>;
    if (typeof record[key] !== 'object' || record[key] === null) record[key] = {};
    cursor = record[key];
  }
  if (typeof cursor !== 'object' || cursor === null) return;
  const last = keys.at(-1) ?? '';
  if (value === undefined) delete (cursor as Record<string, unknown>)[last];
  else (cursor as Record<string, unknown>)[last] = value;
}

function addFields(target: Record<string, unknown>, dottedPath: string, extra: Record<string, unknown>): void {
  let cursor: unknown = target;
  for (const key of dottedPath ? dottedPath.split('.') : []) cursor = typeof cursor === 'object' && cursor !== null ? (cursor as Record<string, unknown>)[key] : undefined;
  if (typeof cursor !== 'object' || cursor === null || Array.isArray(cursor)) return;
  // defineProperty, so a "__proto__" key becomes a real field of the JSON body instead of a prototype.
  for (const [key, value] of Object.entries(extra)) Object.defineProperty(cursor, key, { value, enumerable: true, writable: true, configurable: true });
}
