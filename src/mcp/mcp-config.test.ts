import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { approvalPolicyOf, McpConfigError, parseMcpConfig } from './mcp-config.ts';

describe('--mcp-config files', () => {
  it('reads Claude Desktop\'s format: stdio servers with command/args/env, Streamable HTTP servers with url', () => {
    const servers = parseMcpConfig(
      {
        mcpServers: {
          files: { command: 'npx', args: ['-y', 'server-filesystem', '/tmp'], env: { DEBUG: '1' } },
          search: { url: 'https://example.com/mcp', headers: { Authorization: 'Bearer x' } },
          old: { command: 'x', disabled: true },
        },
        globalShortcut: 'kept by Claude Desktop, ignored here',
      },
      'test',
    );
    assert.deepEqual(
      servers.map((server) => [server.name, server.kind]),
      [
        ['files', 'stdio'],
        ['search', 'http'],
      ],
    );
  });

  it('policies: a tool\'s own, else its server\'s, else ask', () => {
    const [server] = parseMcpConfig({ mcpServers: { files: { command: 'x', approval: 'always', tools: { write: { approval: 'never' } } } } }, 'test');
    assert.equal(approvalPolicyOf(server!, 'write'), 'never');
    assert.equal(approvalPolicyOf(server!, 'read'), 'always');
    const [plain] = parseMcpConfig({ mcpServers: { files: { command: 'x' } } }, 'test');
    assert.equal(approvalPolicyOf(plain!, 'read'), 'ask');
  });

  it('names every problem by entry and field, all at once', () => {
    const problems = [
      [{}, /test: mcpServers: the file needs "mcpServers"/],
      [{ mcpServers: { 'bad name!': { command: 'x' } } }, /a server name may hold only letters, digits/],
      [{ mcpServers: { files: 'npx' } }, /mcpServers\.files: expected an object with "command"/],
      [{ mcpServers: { files: {} } }, /mcpServers\.files: needs "command" \(a stdio server\) or "url"/],
      [{ mcpServers: { files: { command: '' } } }, /mcpServers\.files\.command: command is empty/],
      [{ mcpServers: { files: { command: 'x', args: [1] } } }, /mcpServers\.files\.args\[0\]/],
      [{ mcpServers: { files: { command: 'x', env: { A: 1 } } } }, /mcpServers\.files\.env\.A: each env value must be text/],
      [{ mcpServers: { files: { command: 'x', tools: { write: { approval: 'maybe' } } } } }, /mcpServers\.files\.tools\.write\.approval: approval must be "ask", "always" or "never"/],
      [{ mcpServers: { files: { command: 'x', comand: 'y' } } }, /mcpServers\.files: unknown field "comand"/],
      [{ mcpServers: { web: { url: 'file:///etc/passwd' } } }, /mcpServers\.web\.url: url must be an http:\/\/ or https:\/\/ address/],
      [{ mcpServers: { web: { url: 'http://x', timeoutSeconds: 0 } } }, /mcpServers\.web\.timeoutSeconds: timeoutSeconds must be above 0/],
    ] as const;
    for (const [file, expected] of problems) {
      assert.throws(() => parseMcpConfig(file, 'test'), (error: unknown) => error instanceof McpConfigError && expected.test(error.message), JSON.stringify(file));
    }
    // Two bad entries: both reported.
    assert.throws(
      () => parseMcpConfig({ mcpServers: { a: { command: '' }, b: { url: 'nope' } } }, 'test'),
      (error: unknown) => error instanceof McpConfigError && /mcpServers\.a\.command/.test(error.message) && /mcpServers\.b\.url/.test(error.message),
    );
  });
});
