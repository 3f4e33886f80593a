import { McpConfigError, readMcpConfig } from '../mcp/mcp-config.ts';
import { defaultMcpToolboxOptions } from '../mcp/mcp-toolbox-defaults.ts';
import type { McpToolbox } from '../mcp/mcp-toolbox.ts';
import type { McpOptionValues } from './mcp-options.ts';
import { UsageError } from './usage-error.ts';

/**
 * Reads the config and starts its servers; null without `--mcp-config`. A bad file is a usage
 * error naming the entry and field; a server that fails to start is reported and left out, so
 * the others still serve.
 */
export async function openMcpToolbox(options: McpOptionValues, report: (line: string) => void, version: string): Promise<McpToolbox | null> {
  if (!options.mcpConfig) return null;
  let configs;
  try {
    configs = await readMcpConfig(options.mcpConfig);
  } catch (error) {
    if (error instanceof McpConfigError) throw new UsageError(error.message);
    throw error;
  }
  // Loaded only with --mcp-config: the SDK is not needed by `--help` or a server without tools.
  const { McpToolbox } = await import('../mcp/mcp-toolbox.ts');
  const toolbox = new McpToolbox(configs, {
    ...defaultMcpToolboxOptions,
    toolTimeoutMs: options.mcpToolTimeout * 1000,
    maxResultCharacters: options.mcpMaxResultChars,
    clientInfo: { name: 'anychat', version },
  });
  await toolbox.start();
  for (const server of toolbox.describe()) {
    if (server.state === 'ready') report(`MCP server ${server.name}: ${server.tools.length} tool${server.tools.length === 1 ? '' : 's'}`);
    else report(`MCP server ${server.name} is not available: ${server.problem ?? server.state} (it is tried again on its next call)`);
  }
  return toolbox;
}
