import { readFile } from 'node:fs/promises';
import { z } from 'zod';

/**
 * Who decides before a tool runs. `ask`: the user, each time (the page's Allow once / Always
 * allow / Deny, the CLI's prompt); `always`: it runs without asking; `never`: it is not offered.
 */
export const approvalPolicySchema = z.enum(['ask', 'always', 'never'], { error: 'approval must be "ask", "always" or "never"' });
export type ApprovalPolicy = z.infer<typeof approvalPolicySchema>;

const toolSettingsSchema = z.strictObject({ approval: approvalPolicySchema.optional() });

/** anychat's own fields, allowed beside the standard ones on either kind of server. */
const anychatServerFields = {
  /** The default for every tool of this server; `ask` when absent. */
  approval: approvalPolicySchema.optional(),
  /** Per tool, by the tool's own name on its server. */
  tools: z.record(z.string(), toolSettingsSchema).optional(),
  /** Longest one call may take; default --mcp-tool-timeout. */
  timeoutSeconds: z.number({ error: 'timeoutSeconds must be a number of seconds' }).positive({ error: 'timeoutSeconds must be above 0' }).max(3600, { error: 'timeoutSeconds may be at most 3600' }).optional(),
  /** Claude Desktop and VS Code skip a server marked so. */
  disabled: z.boolean({ error: 'disabled must be true or false' }).optional(),
};

/** A server anychat starts itself and speaks to on its stdin and stdout. */
const stdioServerSchema = z.strictObject({
  type: z.literal('stdio').optional(),
  command: z.string({ error: 'command must be the program to run, as text' }).min(1, { error: 'command is empty' }),
  args: z.array(z.string(), { error: 'args must be a list of strings' }).optional(),
  env: z.record(z.string(), z.string({ error: 'each env value must be text' }), { error: 'env must be an object of names to values' }).optional(),
  cwd: z.string().optional(),
  ...anychatServerFields,
});

/** A server already running, reached with the Streamable HTTP transport. */
const httpServerSchema = z.strictObject({
  type: z.enum(['http', 'streamable-http', 'streamableHttp'], { error: 'type must be "stdio" or "http" (Streamable HTTP)' }).optional(),
  url: z.url({ protocol: /^https?$/, error: 'url must be an http:// or https:// address' }),
  headers: z.record(z.string(), z.string({ error: 'each header value must be text' })).optional(),
  ...anychatServerFields,
});

/** Names become part of the tool names the model sees, which allow only these characters. */
const serverNameSchema = z.string().regex(/^[a-zA-Z0-9_-]{1,32}$/, {
  error: 'a server name may hold only letters, digits, "_" and "-", at most 32 of them',
});

export const mcpConfigFileSchema = z.looseObject({
  mcpServers: z.record(z.string(), z.unknown(), { error: 'the file needs "mcpServers": an object of server names to servers' }),
});

export type StdioServerConfig = z.infer<typeof stdioServerSchema> & { kind: 'stdio' };
export type HttpServerConfig = z.infer<typeof httpServerSchema> & { kind: 'http' };
export type McpServerConfig = (StdioServerConfig | HttpServerConfig) & { name: string };

export class McpConfigError extends Error {
  override readonly name = 'McpConfigError';
}

/** "mcpServers.files.args[1]: …": where in the file a problem is, as one finds it with an editor. */
function describeIssue(prefix: string, issue: z.core.$ZodIssue): string {
  const path = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('');
  const where = prefix === '' ? path.replace(/^\./, '') : `${prefix}${path}`;
  if (issue.code === 'unrecognized_keys') return `${where}: unknown field ${issue.keys.map((key) => `"${key}"`).join(', ')} (a stdio server takes command, args, env, cwd; an HTTP server takes url, headers; both take approval, tools, timeoutSeconds, disabled)`;
  return `${where}: ${issue.message}`;
}

/** Checks one parsed file; every problem is named by entry and field, all at once. */
export function parseMcpConfig(value: unknown, source: string): McpServerConfig[] {
  const file = mcpConfigFileSchema.safeParse(value);
  if (!file.success) throw new McpConfigError(`${source}: ${file.error.issues.map((issue) => describeIssue('', issue)).join('; ')}`);
  const servers: McpServerConfig[] = [];
  const problems: string[] = [];
  for (const [name, entry] of Object.entries(file.data.mcpServers)) {
    const prefix = `mcpServers.${name}`;
    const validName = serverNameSchema.safeParse(name);
    if (!validName.success) {
      problems.push(`${prefix}: ${validName.error.issues[0]?.message ?? 'bad server name'}`);
      continue;
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push(`${prefix}: expected an object with "command" (a stdio server) or "url" (a Streamable HTTP server)`);
      continue;
    }
    const isHttp = 'url' in entry || ('type' in entry && entry.type !== 'stdio');
    if (!isHttp && !('command' in entry)) {
      problems.push(`${prefix}: needs "command" (a stdio server) or "url" (a Streamable HTTP server)`);
      continue;
    }
    const parsed = isHttp ? httpServerSchema.safeParse(entry) : stdioServerSchema.safeParse(entry);
    if (!parsed.success) {
      problems.push(...parsed.error.issues.map((issue) => describeIssue(prefix, issue)));
      continue;
    }
    if (parsed.data.disabled) continue;
    servers.push({ ...parsed.data, kind: isHttp ? 'http' : 'stdio', name } as McpServerConfig);
  }
  if (problems.length > 0) throw new McpConfigError(`${source}: ${problems.join('; ')}`);
  return servers;
}

/** Reads `--mcp-config FILE`; a missing file or bad JSON is one clear line. */
export async function readMcpConfig(path: string): Promise<McpServerConfig[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new McpConfigError(`--mcp-config ${path}: ${code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? String(error)})`}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new McpConfigError(`--mcp-config ${path}: not valid JSON (${(error as Error).message})`);
  }
  return parseMcpConfig(value, `--mcp-config ${path}`);
}

/** The policy of one tool: its own setting, else its server's, else `ask`. */
export function approvalPolicyOf(server: McpServerConfig, toolName: string): ApprovalPolicy {
  return server.tools?.[toolName]?.approval ?? server.approval ?? 'ask';
}
