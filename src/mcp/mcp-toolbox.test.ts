import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startHttpFixture, stdioFixtureConfig, type HttpFixture } from '../../test/fixtures/mcp/start-fixture-servers.ts';
import type { McpServerConfig } from './mcp-config.ts';
import { McpToolbox } from './mcp-toolbox.ts';

const clientInfo = { name: 'anychat-test', version: '0.0.0' };
const options = { toolTimeoutMs: 5_000, startTimeoutMs: 20_000, maxResultCharacters: 16_384, clientInfo };

// One suite per transport: the same real server, spoken to over stdio and over Streamable HTTP.
for (const transport of ['stdio', 'http'] as const) {
  describe(`MCP toolbox over ${transport}`, () => {
    let fixture: HttpFixture | null = null;
    let toolbox: McpToolbox;
    let config: McpServerConfig;
    let clock = 0;

    before(async () => {
      if (transport === 'http') fixture = await startHttpFixture();
      config =
        transport === 'stdio'
          ? stdioFixtureConfig('fixture', { approval: 'always', tools: { hang: { approval: 'ask' }, xss: { approval: 'never' } } })
          : ({ kind: 'http', name: 'fixture', url: fixture!.url, approval: 'always', tools: { hang: { approval: 'ask' }, xss: { approval: 'never' } } } as McpServerConfig);
      // The hang tool's own timeout is short; the others keep the default.
      // The restart back-off (2 s after a start) runs on the test's clock.
      toolbox = new McpToolbox([config], { ...options, toolTimeoutMs: 1_000, now: () => clock });
      await toolbox.start();
    });
    after(async () => {
      await toolbox.close();
      await fixture?.stop();
    });

    test('lists the tools under server__tool names with their approval policies; `never` tools are not offered', () => {
      const [server] = toolbox.describe();
      assert.equal(server?.state, 'ready', server?.problem ?? '');
      assert.deepEqual(server?.tools.map((tool) => [tool.offeredName, tool.approval]), [
        ['fixture__echo', 'always'],
        ['fixture__fail', 'always'],
        ['fixture__hang', 'ask'],
        ['fixture__crash', 'always'],
        ['fixture__big', 'always'],
        ['fixture__xss', 'never'],
        ['fixture__pick', 'always'],
      ]);
      assert.deepEqual(toolbox.tools().map((tool) => tool.definition.name), ['fixture__echo', 'fixture__fail', 'fixture__hang', 'fixture__crash', 'fixture__big', 'fixture__pick']);
      const echo = toolbox.tools()[0]!;
      assert.deepEqual((echo.definition.parameters as { required?: string[] }).required, ['text']);
    });

    test('a tool that answers', async () => {
      const outcome = await toolbox.call('fixture__echo', '{"text":"hi"}', new AbortController().signal);
      assert.deepEqual(outcome, { status: 'done', text: 'echo: hi' });
    });

    test('a tool that errors is a tool error with its message', async () => {
      const outcome = await toolbox.call('fixture__fail', '{}', new AbortController().signal);
      assert.deepEqual(outcome, { status: 'error', text: 'the fixture failed on purpose' });
    });

    test('a tool that hangs past the timeout is a tool error naming the timeout', async () => {
      const outcome = await toolbox.call('fixture__hang', '{}', new AbortController().signal);
      assert.equal(outcome.status, 'error');
      assert.match(outcome.text, /did not answer in time: no result within 1 s/);
    });

    test('a 1 MiB result is refused as a tool error naming the limit', async () => {
      const outcome = await toolbox.call('fixture__big', '{}', new AbortController().signal);
      assert.equal(outcome.status, 'error');
      assert.match(outcome.text, /1,048,576 characters, more than the 16,384 .*--mcp-max-result-chars/);
    });

    test('bad arguments and unknown or `never` tools are tool errors, not exceptions', async () => {
      assert.match((await toolbox.call('fixture__echo', '{oops', new AbortController().signal)).text, /not valid JSON/);
      assert.match((await toolbox.call('fixture__nothing', '{}', new AbortController().signal)).text, /no tool named fixture__nothing/);
      assert.match((await toolbox.call('fixture__xss', '{}', new AbortController().signal)).text, /no tool named|not allowed/);
    });

    test('Stop while a tool runs ends the call as cancelled', async () => {
      const controller = new AbortController();
      const call = toolbox.call('fixture__hang', '{}', controller.signal);
      controller.abort();
      assert.deepEqual(await call, { status: 'cancelled', text: 'the call was stopped' });
    });

    test('a tool that crashes its process is a tool error; the conversation can go on', async () => {
      const outcome = await toolbox.call('fixture__crash', '{}', new AbortController().signal);
      assert.equal(outcome.status, 'error');
      if (transport === 'stdio') {
        assert.match(outcome.text, /closed the connection \(it crashed or exited\)/);
        // Supervised: the next call starts the server again, once past the restart back-off.
        await waitForState(toolbox, 'failed');
        clock += 10_000;
        const again = await toolbox.call('fixture__echo', '{"text":"back"}', new AbortController().signal);
        assert.deepEqual(again, { status: 'done', text: 'echo: back' });
      } else {
        await fixture!.exited;
        const again = await toolbox.call('fixture__echo', '{"text":"gone"}', new AbortController().signal);
        assert.equal(again.status, 'error');
      }
    });
  });
}

/** The SDK reports the exit through onclose; wait for that event rather than for time. */
async function waitForState(toolbox: McpToolbox, state: string): Promise<void> {
  for (let attempt = 0; attempt < 1000 && toolbox.describe()[0]?.state !== state; attempt++) await new Promise((resolve) => setImmediate(resolve));
}

describe('MCP toolbox start-up', () => {
  test('a server whose command does not exist is reported failed with a clear problem; the others still start', async () => {
    const toolbox = new McpToolbox(
      [{ kind: 'stdio', name: 'missing', command: '/nonexistent/mcp-server' } as McpServerConfig, stdioFixtureConfig('fixture')],
      options,
    );
    try {
      await toolbox.start();
      const [missing, fixture] = toolbox.describe();
      assert.equal(missing?.state, 'failed');
      assert.match(missing?.problem ?? '', /did not start/);
      assert.equal(fixture?.state, 'ready');
    } finally {
      await toolbox.close();
    }
  });
});
