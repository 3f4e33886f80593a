import { Option, type Command } from 'commander';
import { addBackendOptions, type BackendOptionValues } from './backend-options.ts';
import { addOidcOptions, type OidcOptionValues } from './oidc-options.ts';
import type { AuthMode } from '../server/auth/auth-strategy.ts';
import { addMcpOptions, type McpOptionValues } from './mcp-options.ts';
import { runAction } from './run-action.ts';
import { UsageError } from './usage-error.ts';

export interface ServeOptions extends BackendOptionValues, McpOptionValues, OidcOptionValues {
  /** Tools for admins only: needs `--auth accounts` (see src/server/tools/server-tools.ts). */
  mcpAdminOnly?: boolean;
  host: string;
  port: number;
  /** This server's own key, for its clients and the page login; never sent upstream. */
  authKey?: string;
  /** `none`, `key` or `accounts`; default `key` with --auth-key, else `none`. */
  auth?: AuthMode;
  adminReadsConversations?: boolean;
  maxQueue: number;
  timeout: number;
  shutdownTimeout: number;
  receiveTimeout: number;
  headersTimeout: number;
  corsOrigin?: string;
  allowedHosts?: string;
  trustProxy?: boolean | string[];
  insecureNoAuth?: boolean;
  dataDir?: string;
  logLevel: string;
  maxLoadedModels?: number;
  modelIdleTtl?: number;
}

/** Gradio's port, which the lesson's readers know. */
export const DEFAULT_PORT = 7860;

const wholeNumber = (flag: string, minimum: number) => (value: string) => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < minimum) throw new UsageError(`${flag} must be a whole number ≥ ${minimum}, got "${value}"`);
  return number;
};
/** Checked with the other flags, so a bad port fails at once, before a model loads for nothing. */
const portNumber = (value: string) => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0 || number > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, got "${value}"`);
  return number;
};
const positiveSeconds = (flag: string) => (value: string) => {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new UsageError(`${flag} must be a number of seconds > 0, got "${value}"`);
  return number;
};

export function registerServeCommand(program: Command): void {
  const command = program
    .command('serve')
    .description('serve the chat page and TGI- and OpenAI-compatible APIs over HTTP')
    .addOption(new Option('--host <host>', 'interface to listen on; other than loopback needs --auth-key').default('127.0.0.1').env('ANYCHAT_HOST'))
    .addOption(new Option('--port <port>', 'port to listen on').argParser(portNumber).default(DEFAULT_PORT).env('PORT'))
    .addOption(new Option('--auth <mode>', 'who may use the server: none (loopback only), key (--auth-key) or accounts (anychat users add); default key with --auth-key, else none').choices(['none', 'key', 'accounts']).env('ANYCHAT_AUTH'))
    .addOption(new Option('--auth-key <key>', 'key this server asks of its clients (Bearer) and on its page login').env('ANYCHAT_AUTH_KEY'))
    .addOption(new Option('--admin-reads-conversations', "with --auth accounts: admins may read (not change) other users' conversations"))
    .addOption(new Option('--max-queue <n>', 'requests that may wait for the model before others get 429').argParser(wholeNumber('--max-queue', 0)).default(64).env('ANYCHAT_MAX_QUEUE'))
    .addOption(new Option('--timeout <seconds>', 'longest one request may take, queue included').argParser(positiveSeconds('--timeout')).default(600).env('ANYCHAT_TIMEOUT'))
    .addOption(new Option('--shutdown-timeout <seconds>', 'on SIGINT/SIGTERM, how long running answers may finish').argParser(positiveSeconds('--shutdown-timeout')).default(10))
    .addOption(new Option('--receive-timeout <seconds>', 'longest a client may take to send a whole request (headers and body); not applied to answers').argParser(positiveSeconds('--receive-timeout')).default(120).env('ANYCHAT_RECEIVE_TIMEOUT'))
    .addOption(new Option('--headers-timeout <seconds>', 'longest a client may take to send the request headers').argParser(positiveSeconds('--headers-timeout')).default(30).env('ANYCHAT_HEADERS_TIMEOUT'))
    .addOption(new Option('--cors-origin <origins>', 'comma-separated origins allowed to call the API from browsers (CORS is off without it)').env('ANYCHAT_CORS_ORIGIN'))
    .addOption(new Option('--allowed-hosts <names>', 'comma-separated names the server is reached by, beyond loopback and --host (a guard against DNS rebinding); * accepts any').env('ANYCHAT_ALLOWED_HOSTS'))
    .addOption(new Option('--trust-proxy <proxies>', 'behind a reverse proxy: trust its X-Forwarded-For/-Proto (true, or comma-separated proxy addresses/CIDRs, e.g. loopback)').argParser(parseTrustProxy).env('ANYCHAT_TRUST_PROXY'))
    .addOption(new Option('--insecure-no-auth', 'allow a non-loopback --host without --auth-key'))
    .addOption(new Option('--data-dir <dir>', 'where conversations are kept (PGlite), or memory:// ; DATABASE_URL selects PostgreSQL instead').env('ANYCHAT_DATA_DIR'))
    .addOption(new Option('--max-loaded-models <n>', 'most local models of --models/--models-dir in memory at once; the least recently used idle one is unloaded to load another').argParser(wholeNumber('--max-loaded-models', 1)).env('ANYCHAT_MAX_LOADED_MODELS'))
    .addOption(new Option('--model-idle-ttl <seconds>', 'unload a local model of --models/--models-dir once unused this long (default: kept loaded)').argParser(positiveSeconds('--model-idle-ttl')).env('ANYCHAT_MODEL_IDLE_TTL'))
    .addOption(new Option('--log-level <level>', 'pino log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info').env('ANYCHAT_LOG_LEVEL'));
  addMcpOptions(command).addOption(new Option('--mcp-admin-only', 'with --auth accounts: only admins may use MCP tools').env('ANYCHAT_MCP_ADMIN_ONLY'));
  addOidcOptions(command);
  addBackendOptions(command, { upstreamKeyAlias: true });
  command.action(runAction(async (options: ServeOptions) => (await import('./serve.ts')).serve(options)));
}


/** `true`/`false`, or the addresses of the proxies to trust (proxy-addr's syntax: IPs, CIDRs, `loopback`). */
function parseTrustProxy(value: string): boolean | string[] {
  if (value === 'true') return true;
  if (value === 'false') return false;
  const proxies = value.split(',').map((proxy) => proxy.trim()).filter(Boolean);
  if (proxies.length === 0) throw new UsageError(`--trust-proxy must be true, false or proxy addresses such as 127.0.0.1,10.0.0.0/8, got "${value}"`);
  return proxies;
}
