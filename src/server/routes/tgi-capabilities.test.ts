/**
 * TGI's API on the embedded engine with a random-weight GGUF, over real HTTP: `grammar` makes the
 * text valid JSON for the schema, `top_n_tokens` gives real alternatives, and every
 * `/generate_stream` event validates against TGI's own OpenAPI schema (a stored excerpt).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { ensureTestModel } from '../../../scripts/test-models/ensure-test-model.ts';
import { createLlamaCppBackend } from '../../backends/llamacpp/llamacpp-backend.ts';
import { listenOnFreePort } from '../../../test/support/listen-on-free-port.ts';
import { createTestApp, parseSse } from '../../../test/support/test-app.ts';

/**
 * OpenAPI 3.0's `nullable: true` as JSON Schema: `null` joins the allowed types (ajv's own
 * `nullable` support needs a `type` beside it, which TGI's `allOf` references lack).
 */
function fromOpenApi(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(fromOpenApi);
  if (schema === null || typeof schema !== 'object') return schema;
  const { nullable, ...rest } = schema as Record<string, unknown>;
  const converted = Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, fromOpenApi(value)]));
  if (nullable !== true) return converted;
  if (typeof converted.type === 'string') return { ...converted, type: [converted.type, 'null'] };
  return { anyOf: [converted, { type: 'null' }] };
}

const openApi = JSON.parse(readFileSync(new URL('../tgi/__fixtures__/tgi-openapi-responses.json', import.meta.url), 'utf8')) as { components: object };
// Formats such as int32 are OpenAPI's, unknown to ajv; the types and ranges are what we check.
const ajv = new Ajv({ strict: false, validateFormats: false });
ajv.addSchema({ $id: 'tgi', components: fromOpenApi(openApi.components) });
const validStreamEvent = ajv.compile({ $ref: 'tgi#/components/schemas/StreamResponse' });
const validGenerateResponse = ajv.compile({ $ref: 'tgi#/components/schemas/GenerateResponse' });
const schemaCheck = new Ajv({ strict: false });

const backend = await createLlamaCppBackend({ backend: 'llamacpp', model: await ensureTestModel('tiny'), threads: 1, contextSize: 1024 });

const pointSchema = {
  type: 'object',
  properties: { label: { type: 'string', maxLength: 8 }, kind: { enum: ['a', 'b'] }, flags: { type: 'array', items: { type: 'boolean' }, maxItems: 2 } },
  required: ['label', 'kind', 'flags'],
};

describe("TGI's API: grammar, top_n_tokens and the stream's schema, on the embedded engine", () => {
  const { app } = createTestApp({ backend });
  let baseUrl: string;
  before(async () => {
    baseUrl = await listenOnFreePort(app);
  });
  after(() => app.close());

  const post = (path: string, body: unknown) =>
    fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('/generate with a JSON grammar returns text valid against the schema', async () => {
    for (const grammar of [{ type: 'json', value: pointSchema }, { type: 'json', value: JSON.stringify(pointSchema) }, { type: 'json_schema', value: { name: 'point', schema: pointSchema } }]) {
      const response = await post('/generate', { inputs: 'A point:', parameters: { max_new_tokens: 80, do_sample: true, seed: 3, grammar } });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { generated_text: string };
      assert.ok(validGenerateResponse(body), ajv.errorsText(validGenerateResponse.errors));
      assert.ok(schemaCheck.validate(pointSchema, JSON.parse(body.generated_text)), body.generated_text);
    }
  });

  it('/generate with top_n_tokens gives each token its log-probability and that many alternatives', async () => {
    const response = await post('/generate', { inputs: 'Hello', parameters: { max_new_tokens: 5, top_n_tokens: 3, details: true } });
    const body = (await response.json()) as { details: { tokens: Array<{ logprob: number }>; top_tokens: Array<Array<{ logprob: number; text: string }>> } };
    assert.ok(validGenerateResponse(body), ajv.errorsText(validGenerateResponse.errors));
    assert.equal(body.details.top_tokens.length, body.details.tokens.length);
    for (const [index, alternatives] of body.details.top_tokens.entries()) {
      assert.equal(alternatives.length, 3);
      assert.ok(alternatives.every((alternative) => alternative.logprob <= 0));
      // Greedy: the chosen token is the most likely one.
      assert.equal(body.details.tokens[index]?.logprob, alternatives[0]?.logprob);
    }
  });

  it('/generate with decoder_input_details returns every prompt token with its log-probability, as TGI’s details.prefill', async () => {
    const inputs = 'Has math been invented or discovered?';
    const response = await post('/generate', { inputs, parameters: { max_new_tokens: 3, decoder_input_details: true, details: true } });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { details: { prefill: Array<{ id: number; text: string; logprob: number | null }> } };
    assert.ok(validGenerateResponse(body), ajv.errorsText(validGenerateResponse.errors));
    const tokenized = (await (await post('/tokenize', { inputs })).json()) as Array<{ id: number; text: string }>;
    const { prefill } = body.details;
    assert.deepEqual(prefill.map((token) => token.id), tokenized.map((token) => token.id), 'one entry per prompt token, in order');
    assert.equal(prefill.map((token) => token.text).join(''), inputs);
    assert.equal(prefill[0]?.logprob, null, 'nothing comes before the first token');
    for (const token of prefill.slice(1)) assert.ok(typeof token.logprob === 'number' && token.logprob < 0 && token.logprob > -30, JSON.stringify(token));
    // The same prompt twice gives the same numbers: the second run cannot lean on the cached prefix.
    const again = (await (await post('/generate', { inputs, parameters: { max_new_tokens: 3, decoder_input_details: true } })).json()) as typeof body;
    assert.deepEqual(again.details.prefill, prefill);
    const without = (await (await post('/generate', { inputs, parameters: { max_new_tokens: 3 } })).json()) as typeof body;
    assert.deepEqual(without.details.prefill, []);
  });

  it('/generate_stream refuses decoder_input_details with TGI’s own message, as TGI does', async () => {
    for (const [path, body] of [['/generate_stream', {}], ['/', { stream: true }]] as const) {
      const response = await post(path, { inputs: 'x', ...body, parameters: { decoder_input_details: true } });
      assert.equal(response.status, 422);
      assert.match(((await response.json()) as { error: string }).error, /`decoder_input_details` == true is not supported when streaming tokens/);
    }
  });

  it('/generate_stream events validate against TGI’s OpenAPI schema, with and without top_n_tokens', async () => {
    for (const parameters of [{ max_new_tokens: 6 }, { max_new_tokens: 6, top_n_tokens: 2 }, { max_new_tokens: 40, grammar: { type: 'json', value: pointSchema } }]) {
      const response = await post('/generate_stream', { inputs: 'Once upon a time', parameters });
      const events = parseSse(await response.text()).map((event) => JSON.parse(event.data) as Record<string, unknown>);
      assert.ok(events.length > 1);
      for (const event of events) {
        assert.ok(validStreamEvent(event), `${JSON.stringify(event)}: ${ajv.errorsText(validStreamEvent.errors)}`);
        // Real TGI leaves top_tokens out when there are none, rather than sending null.
        if (!('top_n_tokens' in parameters) || event.details) assert.equal('top_tokens' in event, false, JSON.stringify(event));
        else assert.equal((event.top_tokens as unknown[]).length, 2);
      }
      // What anychat used to send: TGI's schema has no null there, so strict clients rejected it.
      assert.equal(validStreamEvent({ ...events[0], top_tokens: null }), false);
      const last = events.at(-1) as { generated_text: string };
      if ('grammar' in parameters) assert.ok(schemaCheck.validate(pointSchema, JSON.parse(last.generated_text)), last.generated_text);
    }
  });

  it('refuses a regex grammar and unenforceable schema keywords with 422 naming them', async () => {
    const regex = await post('/generate', { inputs: 'x', parameters: { grammar: { type: 'regex', value: '[0-9]+' } } });
    assert.equal(regex.status, 422);
    assert.match(((await regex.json()) as { error: string }).error, /regular-expression grammars are not supported/);
    const pattern = await post('/generate', { inputs: 'x', parameters: { grammar: { type: 'json', value: { type: 'string', pattern: '^a' } } } });
    assert.equal(pattern.status, 422);
    assert.match(((await pattern.json()) as { error: string }).error, /"pattern"/);
  });
});
