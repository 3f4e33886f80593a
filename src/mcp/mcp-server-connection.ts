import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { McpServerConfig } from './mcp-config.ts';

/** A tool as its server lists it. */
export interface McpTool {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
}

export type McpServerState = 'starting' | 'ready' | 'failed' | 'closed';

/** How much of a stdio server's stderr is kept to explain a crash. */
const STDERR_TAIL_CHARACTERS = 2_000;

/** A restart after a crash waits at least this long after the last one, so a server that dies at once cannot spin. */
const RESTART_BACKOFF_MS = 2_000;

/**
 * One configured MCP server, supervised: started (spawned, or reached over Streamable HTTP) and
 * asked for its tools; a server that crashes or drops its connection is marked so and started
 * again on its next call. Everything protocol goes through the official SDK's Client.
 */
export class McpServerConnection {
  state: McpServerState = 'starting';
  /** Why the server is not ready, in one line. */
  problem: string | null = null;
  tools: McpTool[] = [];
  private client: Client | null = null;
  private stderrTail = '';
  private starting: Promise<void> | null = null;
  private lastStartAt = 0;

  constructor(
    readonly config: McpServerConfig,
    private readonly clientInfo: { name: string; version: string },
    private readonly options: { startTimeoutMs: number; now?: () => number },
  ) {}

  /** Starts the server and lists its tools; never throws: a failure is `state` `failed` with `problem`. */
  start(): Promise<void> {
    this.starting ??= this.connect().finally(() => (this.starting = null));
    return this.starting;
  }

  /** Calls one tool; throws when the server cannot be reached, the call times out or the signal fires. */
  async callTool(name: string, args: Record<string, unknown>, options: { timeoutMs: number; signal: AbortSignal }): Promise<CallToolResult> {
    if (this.state !== 'ready') {
      const now = (this.options.now ?? Date.now)();
      if (now - this.lastStartAt < RESTART_BACKOFF_MS && this.state === 'failed') throw new Error(`the server ${this.config.name} is not running: ${this.problem ?? 'it failed to start'}`);
      await this.start();
      // start() changed it.
      if ((this.state as McpServerState) !== 'ready') throw new Error(`the server ${this.config.name} is not running: ${this.problem ?? 'it failed to start'}`);
    }
    const client = this.client!;
    try {
      return (await client.callTool({ name, arguments: args }, undefined, { timeout: options.timeoutMs, signal: options.signal })) as CallToolResult;
    } catch (error) {
      throw new Error(this.explain(error), { cause: error });
    }
  }

  async close(): Promise<void> {
    this.state = 'closed';
    const client = this.client;
    this.client = null;
    await client?.close().catch(() => {});
  }

  private async connect(): Promise<void> {
    this.lastStartAt = (this.options.now ?? Date.now)();
    this.state = 'starting';
    this.stderrTail = '';
    const client = new Client(this.clientInfo);
    const transport = this.transport();
    client.onclose = () => {
      // The process exited or the connection dropped: the next call starts it again.
      if (this.client !== client || this.state === 'closed') return;
      this.client = null;
      this.state = 'failed';
      this.problem = `the server stopped${this.stderrTail ? ` (its last words: ${this.lastStderrLine()})` : ''}`;
    };
    try {
      await client.connect(transport, { timeout: this.options.startTimeoutMs });
      const listed = await client.listTools(undefined, { timeout: this.options.startTimeoutMs });
      this.tools = listed.tools.map((tool) => ({
        name: tool.name,
        ...(tool.description ? { description: tool.description } : {}),
        inputSchema: tool.inputSchema as Record<string, unknown>,
      }));
      this.client = client;
      this.state = 'ready';
      this.problem = null;
    } catch (error) {
      this.state = 'failed';
      this.problem = `it did not start: ${this.explain(error)}`;
      await client.close().catch(() => {});
    }
  }

  private transport() {
    const config = this.config;
    if (config.kind === 'http') {
      return new StreamableHTTPClientTransport(new URL(config.url), config.headers ? { requestInit: { headers: config.headers } } : undefined);
    }
    const transport = new StdioClientTransport({
      command: config.command,
      args: config.args ?? [],
      ...(config.env ? { env: { ...(process.env as Record<string, string>), ...config.env } } : {}),
      ...(config.cwd ? { cwd: config.cwd } : {}),
      // Piped, not inherited: a server's log lines must not land in the CLI's output; the tail explains a crash.
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARACTERS);
    });
    return transport;
  }

  private lastStderrLine(): string {
    const lines = this.stderrTail.trim().split('\n');
    return (lines.at(-1) ?? '').slice(0, 300);
  }

  /** The SDK's errors as one line a user can act on. */
  private explain(error: unknown): string {
    const message = error instanceof Error ? error.message : String(error);
    if (/Connection closed/i.test(message)) {
      return `the server ${this.config.name} closed the connection (it crashed or exited)${this.stderrTail ? `; its last words: ${this.lastStderrLine()}` : ''}`;
    }
    if (/Request timed out/i.test(message)) return `the server ${this.config.name} did not answer in time`;
    if (/ENOENT/.test(message) && this.config.kind === 'stdio') return `${this.config.command}: no such program (check "command" of mcpServers.${this.config.name})`;
    return message.replace(/^MCP error -?\d+: /, '');
  }
}
