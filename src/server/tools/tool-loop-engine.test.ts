/**
 * The tool loop on the embedded engine: a random-weight GGUF would never call a tool by itself,
 * so the conversation asks for `required` on the first step and the grammar built from the MCP
 * tool's schema forces a valid call; the real SDK fixture server answers it, the result goes back
 * into the next step's prompt, and the model (offered tools with `auto`) answers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureTestModel } from '../../../scripts/test-models/ensure-test-model.ts';
import { stdioFixtureConfig } from '../../../test/fixtures/mcp/start-fixture-servers.ts';
import { listenOnFreePort } from '../../../test/support/listen-on-free-port.ts';
import { createTestApp, parseSse } from '../../../test/support/test-app.ts';
import type { Backend } from '../../backends/backend.ts';
import { createLlamaCppBackend } from '../../backends/llamacpp/llamacpp-backend.ts';
import type { Conversation, StoredMessage } from '../../chat/conversation.ts';
import { McpToolbox } from '../../mcp/mcp-toolbox.ts';
import { createServerTools } from './server-tools.ts';

const engine = await createLlamaCppBackend({ backend: 'llamacpp', model: await ensureTestModel('tiny'), threads: 1, contextSize: 2048 });
/** The prompts the engine was given, one per step. */
const prompts: string[] = [];
const backend: Backend = {
  ...engine,
  name: engine.name,
  info: () => engine.info(),
  countTokens: (text) => engine.countTokens(text),
  generate: (request, signal) => {
    prompts.push(request.prompt ?? '');
    return engine.generate(request, signal);
  },
  close: () => engine.close(),
};

describe('MCP tools on the embedded engine', () => {
  const never = { approval: 'never' as const };
  const toolbox = new McpToolbox(
    [stdioFixtureConfig('fixture', { approval: 'always', tools: { echo: never, fail: never, hang: never, crash: never, big: never, xss: never } })],
    { toolTimeoutMs: 5_000, startTimeoutMs: 20_000, maxResultCharacters: 16_384, clientInfo: { name: 'anychat-test', version: '0' } },
  );
  const { app } = createTestApp({ backend, tools: createServerTools(toolbox, { maxSteps: 1 }) });
  let base = '';
  before(async () => {
    await toolbox.start();
    base = `${await listenOnFreePort(app)}/api`;
  });
  after(async () => {
    await app.close();
    await toolbox.close();
    await backend.close();
  });

  it('with tool choice required on the first step, the model calls the tool, gets its result and answers', async () => {
    const post = (path: string, body: unknown) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const conversation = (await (await post('/conversations', {})).json()) as Conversation;
    const response = await post(`/conversations/${conversation.id}/messages`, {
      content: 'Pick a colour',
      settings: { parameters: { maxNewTokens: 48, temperature: 0, seed: 1 }, tools: { firstStepChoice: 'required' } },
    });
    const events = parseSse(await response.text());
    const finish = JSON.parse(events.at(-1)!.data) as { type: string; message: StoredMessage };
    assert.equal(finish.type, 'answer-finish', events.at(-1)!.data);
    const [call] = finish.message.generation?.toolCalls ?? [];
    assert.equal(call?.name, 'fixture__pick');
    assert.equal(call?.status, 'done', call?.result ?? '');
    const colour = (JSON.parse(call.arguments) as { colour: string }).colour;
    assert.ok(['red', 'green'].includes(colour), call.arguments);
    assert.equal(call.result, `picked ${colour}`);
    assert.equal(call.step, 0);
    // The answer went on after the call: a second step whose prompt, in the model's own template,
    // held the result (past the step limit of 1, with no tools offered). This test model's template
    // renders tool results but not the assistant's calls, as many simple templates do.
    assert.equal(prompts.length, 2);
    assert.ok(prompts[1]!.includes(`picked ${colour}`), prompts[1]);
    assert.notEqual(finish.message.generation?.finishReason, 'tool-calls', 'the last step answered rather than calling again');
  });
});
