import type { FastifyRequest } from 'fastify';
import type { ToolRunner } from '../../chat/tools/tool-runner.ts';
import type { McpServerDescription } from '../../mcp/mcp-toolbox.ts';
import { ToolApprovals } from './tool-approvals.ts';

/** The operator's MCP tools as the app API uses them; absent without `--mcp-config`. */
export interface ServerTools {
  runner: ToolRunner & { describe(): McpServerDescription[] };
  approvals: ToolApprovals;
  /** Most model turns of one answer that may call tools (`--mcp-max-steps`). */
  maxSteps: number;
  /**
   * Who may use tools. The one place where "tool use limited to admins" plugs in: with
   * `--auth accounts`, pass a predicate that reads the request's account; today every request that
   * passed the API key check may.
   */
  mayUseTools: (request: FastifyRequest) => boolean;
}

export function createServerTools(runner: ServerTools['runner'], options: { maxSteps: number; mayUseTools?: ServerTools['mayUseTools'] }): ServerTools {
  return { runner, approvals: new ToolApprovals(), maxSteps: options.maxSteps, mayUseTools: options.mayUseTools ?? (() => true) };
}

/** `serve --mcp-admin-only`: tools for the signed-in admins of `--auth accounts`, no one else. */
export function adminsOnly(request: FastifyRequest): boolean {
  return request.account?.isAdmin === true;
}
