/**
 * `anychat ask` and `chat` with `--mcp-config`: the real command, a scripted tool-calling upstream
 * and the SDK fixture server over stdio. Calls and results go to stderr, the answer alone to stdout;
 * `ask` tools run with --approve-tools, are denied (and the user told) without a terminal to ask on.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../fakes/fake-openai-server.ts';
import { stdioFixtureEntry } from '../fixtures/mcp/start-fixture-servers.ts';
import { runAnychat } from './run-anychat.ts';

describe('anychat ask and chat with --mcp-config', () => {
  let upstream: FakeOpenAiServer;
  let folder: string;
  let config: string;
  before(async () => {
    upstream = await startFakeOpenAiServer({ toolUse: { name: 'fixture__echo', arguments: '{"text":"from the cli"}' } });
    folder = await mkdtemp(join(tmpdir(), 'anychat-mcp-'));
    config = join(folder, 'mcp.json');
    await writeFile(config, JSON.stringify({ mcpServers: { fixture: stdioFixtureEntry({ tools: { xss: { approval: 'never' } } }) } }));
  });
  after(async () => {
    await upstream.close();
    await rm(folder, { recursive: true, force: true });
  });
  const endpoint = () => ['--endpoint', `${upstream.endpoint}/v1`, '--model', 'fake'];

  it('ask --approve-tools runs the tool: calls and results on stderr, the answer alone on stdout', async () => {
    const result = await runAnychat(['ask', 'Echo something', '--mcp-config', config, '--approve-tools', ...endpoint()]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'The tool said: echo: from the cli\n');
    assert.match(result.stderr, /\[tool\] fixture__echo\(\{"text":"from the cli"\}\)/);
    assert.match(result.stderr, /\[tool\] fixture__echo → echo: from the cli \(\d+ ms\)/);
  });

  it('ask without a terminal and without --approve-tools denies an `ask` tool and says how to allow it', async () => {
    const result = await runAnychat(['ask', 'Echo something', '--mcp-config', config, ...endpoint()]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /fixture__echo denied: no terminal to ask on; pass --approve-tools/);
    assert.equal(result.stdout, 'The tool said: The user denied this tool call.\n');
  });

  it('chat takes --mcp-config too, and keeps the call in its history', async () => {
    const result = await runAnychat(['chat', '--mcp-config', config, '--approve-tools', ...endpoint()], { stdin: 'first\nsecond\n' });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.match(/The tool said: echo: from the cli/g)?.length, 2);
    // The second turn's last step: the first turn's call, result and answer, then this turn's call and result.
    const last = upstream.requests.at(-1)!.body as { messages: Array<{ role: string }> };
    assert.deepEqual(last.messages.map((message) => message.role), ['user', 'assistant', 'tool', 'assistant', 'user', 'assistant', 'tool']);
  });

  it('a bad config file is a usage error naming the entry and field', async () => {
    const bad = join(folder, 'bad.json');
    await writeFile(bad, JSON.stringify({ mcpServers: { files: { command: 'x', args: 'not a list', approval: 'sometimes' }, web: { url: 'ftp://x' } } }));
    const result = await runAnychat(['ask', 'hi', '--mcp-config', bad, ...endpoint()]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /mcpServers\.files\.args: args must be a list of strings/);
    assert.match(result.stderr, /mcpServers\.files\.approval: approval must be "ask", "always" or "never"/);
    assert.match(result.stderr, /mcpServers\.web\.url: url must be an http:\/\/ or https:\/\/ address/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    const missing = await runAnychat(['ask', 'hi', '--mcp-config', join(folder, 'none.json'), ...endpoint()]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--mcp-config .*none\.json: no such file/);
  });

  it('serve --mcp-admin-only is refused without --auth accounts, with what to do', async () => {
    const result = await runAnychat(['serve', '--mcp-admin-only', '--backend', 'echo', '--data-dir', 'memory://', '--port', '0']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--mcp-admin-only needs --auth accounts/);
  });
});
