import { Option, type Command } from 'commander';
import { defaultMcpToolboxOptions } from '../mcp/mcp-toolbox-defaults.ts';
import { UsageError } from './usage-error.ts';

export interface McpOptionValues {
  mcpConfig?: string;
  mcpToolTimeout: number;
  mcpMaxSteps: number;
  mcpMaxResultChars: number;
}

const positiveNumber = (flag: string, whole: boolean) => (value: string) => {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0 || (whole && !Number.isInteger(number))) {
    throw new UsageError(`${flag} must be ${whole ? 'a whole number' : 'a number'} above 0, got "${value}"`);
  }
  return number;
};

/** The MCP flags `serve`, `ask` and `chat` share. */
export function addMcpOptions(command: Command): Command {
  return command
    .addOption(new Option('--mcp-config <file>', 'MCP servers whose tools the model may call (Claude Desktop\'s "mcpServers" file)').env('ANYCHAT_MCP_CONFIG'))
    .addOption(
      new Option('--mcp-tool-timeout <seconds>', 'longest one tool call may take (a server\'s own timeoutSeconds wins)')
        .argParser(positiveNumber('--mcp-tool-timeout', false))
        .default(defaultMcpToolboxOptions.toolTimeoutMs / 1000)
        .env('ANYCHAT_MCP_TOOL_TIMEOUT'),
    )
    .addOption(new Option('--mcp-max-steps <n>', 'most model turns of one answer that may call tools').argParser(positiveNumber('--mcp-max-steps', true)).default(8).env('ANYCHAT_MCP_MAX_STEPS'))
    .addOption(
      new Option('--mcp-max-result-chars <n>', 'a tool result longer than this is a tool error instead')
        .argParser(positiveNumber('--mcp-max-result-chars', true))
        .default(defaultMcpToolboxOptions.maxResultCharacters)
        .env('ANYCHAT_MCP_MAX_RESULT_CHARS'),
    );
}
