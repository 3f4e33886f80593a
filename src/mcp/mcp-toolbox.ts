import type { ToolDefinition } from '../chat/tools/tool-definition.ts';
import type { ToolOutcome, ToolRunner, OfferedTool } from '../chat/tools/tool-runner.ts';
import { approvalPolicyOf, type McpServerConfig } from './mcp-config.ts';
import { McpServerConnection, type McpServerState } from './mcp-server-connection.ts';
import { toolResultText } from './tool-result-text.ts';

export interface McpToolboxOptions {
  /** Longest one call may take unless its server says otherwise (`timeoutSeconds`). */
  toolTimeoutMs: number;
  /** Longest a server may take to start and list its tools. */
  startTimeoutMs: number;
  /** A result longer than this is refused as a tool error rather than fed to the model. */
  maxResultCharacters: number;
  clientInfo: { name: string; version: string };
  /** The clock for the restart back-off after a crash; tests inject one. */
  now?: () => number;
}


/** What GET /api/tools and the page show of one server. */
export interface McpServerDescription {
  name: string;
  transport: 'stdio' | 'http';
  state: McpServerState;
  problem: string | null;
  tools: Array<{ name: string; offeredName: string; description: string | null; approval: OfferedTool['approval'] }>;
}

/**
 * The model-facing name of a server's tool: `server__tool`, as tool names allow only letters,
 * digits, "_" and "-" (MCP allows more, e.g. dots), at most 64 characters.
 */
export function offeredToolName(server: string, tool: string): string {
  return `${server}__${tool.replace(/[^a-zA-Z0-9_-]/g, '_')}`.slice(0, 64);
}

/**
 * Every configured MCP server, started and supervised, as one ToolRunner: the tools it offers
 * and the calls it runs, with a timeout and a cap on results. A call that fails in any way (the
 * server crashed, hung, answered an error or too much) comes back as a tool error to show the
 * model and the user; it never throws.
 */
export class McpToolbox implements ToolRunner {
  private readonly connections: McpServerConnection[];

  constructor(
    configs: readonly McpServerConfig[],
    private readonly options: McpToolboxOptions,
  ) {
    this.connections = configs.map((config) => new McpServerConnection(config, options.clientInfo, { startTimeoutMs: options.startTimeoutMs, ...(options.now ? { now: options.now } : {}) }));
  }

  /** Starts every server at once; resolves when each is ready or has failed (see `describe`). */
  async start(): Promise<void> {
    await Promise.all(this.connections.map((connection) => connection.start()));
  }

  get serverCount(): number {
    return this.connections.length;
  }

  describe(): McpServerDescription[] {
    return this.connections.map((connection) => ({
      name: connection.config.name,
      transport: connection.config.kind,
      state: connection.state,
      problem: connection.problem,
      tools: connection.tools.map((tool) => ({
        name: tool.name,
        offeredName: offeredToolName(connection.config.name, tool.name),
        description: tool.description ?? null,
        approval: approvalPolicyOf(connection.config, tool.name),
      })),
    }));
  }

  /** The tools the model may be offered: every listed tool whose policy is not `never`. */
  tools(): OfferedTool[] {
    const offered: OfferedTool[] = [];
    for (const connection of this.connections) {
      for (const tool of connection.tools) {
        const approval = approvalPolicyOf(connection.config, tool.name);
        if (approval === 'never') continue;
        const definition: ToolDefinition = {
          name: offeredToolName(connection.config.name, tool.name),
          ...(tool.description ? { description: tool.description } : {}),
          parameters: tool.inputSchema,
        };
        offered.push({ definition, server: connection.config.name, tool: tool.name, approval });
      }
    }
    return offered;
  }

  async call(offeredName: string, argumentsText: string, signal: AbortSignal): Promise<ToolOutcome> {
    const found = this.find(offeredName);
    if (!found) return { status: 'error', text: `there is no tool named ${offeredName}` };
    const { connection, tool } = found;
    if (approvalPolicyOf(connection.config, tool) === 'never') return { status: 'error', text: `${offeredName} is not allowed by the operator's configuration` };
    let args: unknown;
    try {
      args = argumentsText.trim() === '' ? {} : JSON.parse(argumentsText);
    } catch {
      return { status: 'error', text: `the arguments are not valid JSON: ${argumentsText.slice(0, 200)}` };
    }
    if (typeof args !== 'object' || args === null || Array.isArray(args)) return { status: 'error', text: 'the arguments must be a JSON object' };
    const timeoutMs = connection.config.timeoutSeconds !== undefined ? connection.config.timeoutSeconds * 1000 : this.options.toolTimeoutMs;
    try {
      const result = await connection.callTool(tool, args as Record<string, unknown>, { timeoutMs, signal });
      const text = toolResultText(result);
      if (text.length > this.options.maxResultCharacters) {
        return {
          status: 'error',
          text: `the result was ${text.length.toLocaleString('en-US')} characters, more than the ${this.options.maxResultCharacters.toLocaleString('en-US')} anychat passes to the model (--mcp-max-result-chars); ask for less`,
        };
      }
      return result.isError ? { status: 'error', text: text || 'the tool reported an error without a message' } : { status: 'done', text };
    } catch (error) {
      if (signal.aborted) return { status: 'cancelled', text: 'the call was stopped' };
      const message = error instanceof Error ? error.message : String(error);
      if (message.endsWith('did not answer in time')) return { status: 'error', text: `${message}: no result within ${timeoutMs / 1000} s, the call was abandoned` };
      return { status: 'error', text: message };
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.connections.map((connection) => connection.close()));
  }

  private find(offeredName: string): { connection: McpServerConnection; tool: string } | null {
    for (const connection of this.connections) {
      const tool = connection.tools.find((candidate) => offeredToolName(connection.config.name, candidate.name) === offeredName);
      if (tool) return { connection, tool: tool.name };
    }
    return null;
  }
}
