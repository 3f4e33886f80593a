import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it, mock } from 'node:test';
import { z } from 'zod';
import type { Backend } from '../../backends/backend.ts';
import { createEchoBackend } from '../../backends/echo/echo-backend.ts';
import { chatToolSchema, toolDefinitionOf } from '../chat-tool.ts';
import type { ChatMessage } from '../message.ts';
import { prepareGeneration } from '../prepare-generation.ts';
import { templateTakesTools } from '../tools/tools-system-prompt.ts';
import { ChatTemplateError, renderJinjaPrompt, type TemplateMessage } from './jinja-template.ts';

/*
 * Every chat template in llama.cpp's models/templates/ (copied into test/fixtures/chat-templates/
 * templates/ from the llama.cpp source node-llama-cpp bundles), rendered over every case in
 * cases.json, must give byte for byte what transformers' apply_chat_template gives. The expected
 * outputs were written by render_reference.py with Debian's python3-jinja2 in transformers' set-up;
 * this test needs no Python.
 */

const fixtures = new URL('../../../test/fixtures/chat-templates/', import.meta.url);

const suiteSchema = z.object({
  bos_token: z.string(),
  eos_token: z.string(),
  strftime_now: z.string(),
  tools: z.array(chatToolSchema),
  cases: z.array(
    z.object({
      name: z.string(),
      messages: z.array(z.looseObject({ role: z.string(), content: z.string() })),
      add_generation_prompt: z.boolean(),
      tools: z.boolean().optional(),
      variables: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
});

const renderingSchema = z.union([z.object({ output: z.string() }), z.object({ refused: z.string() })]);
const expectedSchema = z.object({
  template: z.string(),
  cases: z.record(z.string(), z.union([z.object({ output: z.string() }), z.object({ refused: z.string(), fallback: renderingSchema.optional() })])),
});

const suite = suiteSchema.parse(JSON.parse(readFileSync(new URL('cases.json', fixtures), 'utf8')));
const templateFiles = readdirSync(new URL('templates/', fixtures))
  .filter((name) => name.endsWith('.jinja'))
  .sort();

/** What the reference wrote for one case: the prompt, or (after its refusal) anychat's fallback prompt, or a refusal. */
function expectedRendering(expected: z.infer<typeof expectedSchema>['cases'][string]): { output: string } | { refused: string } {
  if ('output' in expected) return expected;
  return expected.fallback ?? expected;
}

/** A real backend that takes a rendered prompt and carries this template, as --chat-template gives one. */
function promptBackend(chatTemplate: string): Backend {
  const echo = createEchoBackend({ backend: 'echo' });
  return {
    ...echo,
    info: async () => ({
      ...(await echo.info()),
      input: 'prompt',
      contextWindow: null,
      chatTemplate,
      specialTokens: { bos: suite.bos_token, eos: suite.eos_token },
    }),
  };
}

function isChatMessage(message: TemplateMessage): message is ChatMessage {
  return (message.role === 'system' || message.role === 'user' || message.role === 'assistant') && !('tool_calls' in message);
}

describe('chat templates render byte for byte as transformers + jinja2 render them', () => {
  // strftime_now reads the clock (Llama 3.2 prints today's date); the fixtures were written at this instant.
  before(() => mock.timers.enable({ apis: ['Date'], now: new Date(suite.strftime_now) }));
  after(() => mock.timers.reset());

  it('has expected outputs for every template in the folder', () => {
    assert.equal(templateFiles.length, 70);
    for (const file of templateFiles) {
      const expected = expectedSchema.parse(JSON.parse(readFileSync(new URL(`expected/${file.replace(/\.jinja$/, '.json')}`, fixtures), 'utf8')));
      assert.deepEqual(Object.keys(expected.cases), suite.cases.map((testCase) => testCase.name), file);
    }
  });

  for (const file of templateFiles) {
    describe(file, () => {
      const source = readFileSync(new URL(`templates/${file}`, fixtures), 'utf8');
      const expected = expectedSchema.parse(JSON.parse(readFileSync(new URL(`expected/${file.replace(/\.jinja$/, '.json')}`, fixtures), 'utf8')));

      for (const testCase of suite.cases) {
        const reference = expected.cases[testCase.name]!;
        const want = expectedRendering(reference);
        const messages = testCase.messages as unknown as TemplateMessage[];
        const tools = testCase.tools ? suite.tools : undefined;

        it(`${testCase.name}: ${'output' in reference ? 'same prompt' : 'output' in want ? 'same prompt after folding the system message' : 'refused'}`, async () => {
          const render = () =>
            renderJinjaPrompt(
              source,
              messages,
              { bosToken: suite.bos_token, eosToken: suite.eos_token, templateName: file },
              { addGenerationPrompt: testCase.add_generation_prompt, tools, variables: testCase.variables },
            );
          if ('output' in want) {
            assert.equal(render(), want.output);
          } else {
            assert.throws(render, (error: unknown) => {
              assert.ok(error instanceof ChatTemplateError);
              assert.ok(error.message.includes(file), 'the message names the template');
              assert.doesNotMatch(error.message, /\n/);
              // The template's own raise_exception message reaches the user unchanged.
              const raised = /^TemplateError: (.*)$/s.exec(want.refused)?.[1];
              if (raised) assert.ok(error.message.includes(raised), `${error.message} includes ${raised}`);
              return true;
            });
          }

          // The engine's own path: prepareGeneration renders a chat (system from the settings) the same way.
          if (!testCase.add_generation_prompt || !messages.every(isChatMessage)) return;
          // A template with no place for tools gets them in the system message instead (the model
          // must hear of them somehow), on purpose unlike the reference: that path has its own tests.
          if (tools && !templateTakesTools(source)) return;
          const chat = messages.filter(isChatMessage);
          const prepare = () =>
            prepareGeneration({
              backend: promptBackend(source),
              info: { backend: 'echo', modelId: 'reference', contextWindow: null, chatTemplate: source, specialTokens: { bos: suite.bos_token, eos: suite.eos_token }, input: 'prompt', exactTokenCount: false },
              messages: chat.filter((message) => message.role !== 'system'),
              settings: { systemMessage: chat.find((message) => message.role === 'system')?.content, template: 'model' },
              extras: {
                ...(tools ? { tools: tools.map(toolDefinitionOf) } : {}),
                ...(testCase.variables ? { templateVariables: testCase.variables } : {}),
              },
            });
          if ('output' in want) {
            const prepared = await prepare();
            assert.deepEqual(prepared.sentPrompt, { kind: 'text', text: want.output });
          } else {
            await assert.rejects(prepare, ChatTemplateError);
          }
        });
      }
    });
  }
});
