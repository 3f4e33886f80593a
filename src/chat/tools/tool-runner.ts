import type { ApprovalPolicy } from '../../mcp/mcp-config.ts';
import type { ToolDefinition } from './tool-definition.ts';

/** A tool the model may be offered, with where it comes from and who approves its calls. */
export interface OfferedTool {
  definition: ToolDefinition;
  server: string;
  tool: string;
  approval: ApprovalPolicy;
}

/** How a call ended: its result, or an error the model and the user read. */
export interface ToolOutcome {
  status: 'done' | 'error' | 'cancelled';
  text: string;
}

/** What runs tools for the tool loop (the MCP toolbox; tests may bring their own). Never throws. */
export interface ToolRunner {
  tools(): OfferedTool[];
  call(offeredName: string, argumentsText: string, signal: AbortSignal): Promise<ToolOutcome>;
}
