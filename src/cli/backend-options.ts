import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { BackendName } from '../backends/backend.ts';
import type { BackendSettings } from '../backends/create-backend.ts';
import type { ReasoningMode } from '../chat/reasoning/reasoning-mode.ts';
import { defaultUpstreamLimits, upstreamLimitFlags } from '../backends/http/upstream-limits.ts';
import { CONTEXT_OVERFLOW_POLICIES, DEFAULT_CONTEXT_OVERFLOW, type ContextOverflowPolicy } from '../chat/context-overflow-policy.ts';
import { DEFAULT_PROMPT_CACHE_MIB } from '../backends/llamacpp/llamacpp-config.ts';
import { UsageError } from './usage-error.ts';

export interface BackendOptionValues {
  backend?: BackendName;
  model?: string;
  /** `--models FILE`: read by configured-models.ts, not here. */
  models?: string;
  modelsDir?: string;
  endpoint?: string;
  apiKey?: string;
  upstreamApiKey?: string;
  threads?: number;
  threadsBatch?: number;
  promptCacheMib?: number;
  contextOverflow?: ContextOverflowPolicy;
  contextSize?: number;
  parallel?: number;
  upstreamTimeout?: number;
  echoDelay?: number;
  chatTemplate?: string;
  reasoning?: ReasoningMode;
  grammarFile?: string;
  upstreamMaxLineBytes?: number;
  upstreamMaxEventBytes?: number;
  upstreamMaxTokenBytes?: number;
  upstreamMaxErrorBytes?: number;
}

const positiveInteger = (flag: string) => (value: string) => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new UsageError(`${flag} must be a whole number ≥ 1, got "${value}"`);
  return number;
};
const nonNegativeInteger = (flag: string) => (value: string) => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new UsageError(`${flag} must be a whole number ≥ 0, got "${value}"`);
  return number;
};
const nonNegativeNumber = (flag: string) => (value: string) => {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new UsageError(`${flag} must be a number ≥ 0, got "${value}"`);
  return number;
};

/**
 * The backend flags every command takes, each also settable from the environment. `--api-key`
 * (ANYCHAT_API_KEY, HF_API_KEY, HF_TOKEN) is always the upstream endpoint's key, on every command,
 * so one .env written for `ask` means the same to `serve`; serve's own login key is `--auth-key`.
 */
export function addBackendOptions(command: Command, { upstreamKeyAlias = false }: { upstreamKeyAlias?: boolean } = {}): Command {
  command
    .addOption(
      new Option('--backend <name>', 'inference backend (default: llamacpp, or tgi/openai when --endpoint is given)')
        .choices(['llamacpp', 'tgi', 'openai', 'echo'])
        .env('ANYCHAT_BACKEND'),
    )
    .addOption(new Option('--model <path|hf:owner/repo/file.gguf|name>', 'GGUF file or hf: reference (llamacpp), or model name (openai); with --models/--models-dir, the id of the model to use').env('ANYCHAT_MODEL'))
    .addOption(new Option('--models <file>', 'a JSON models file: several models, local and remote, each with its own options').env('ANYCHAT_MODELS'))
    .addOption(new Option('--models-dir <dir>', 'add every .gguf file in this folder as a local model, loaded when first used').env('ANYCHAT_MODELS_DIR'))
    .addOption(new Option('--endpoint <url>', 'URL of a TGI or OpenAI-compatible server').env('ANYCHAT_ENDPOINT'))
    .addOption(new Option('--api-key <key>', 'key for the endpoint (also HF_API_KEY, HF_TOKEN)').env('ANYCHAT_API_KEY'));
  // serve's upstream key was once --upstream-api-key; kept so existing scripts and .env files still work.
  if (upstreamKeyAlias) {
    command.addOption(new Option('--upstream-api-key <key>', 'the same as --api-key (older name)').env('ANYCHAT_UPSTREAM_API_KEY').hideHelp());
  }
  return command
    .addOption(
      new Option('--threads <n>', 'CPU threads for llamacpp decode steps (default: physical cores − 1, at least 1, at most 4)')
        .argParser(positiveInteger('--threads'))
        .env('ANYCHAT_THREADS'),
    )
    .addOption(
      new Option('--threads-batch <n>', 'CPU threads for llamacpp prompt processing (default: every physical core)')
        .argParser(positiveInteger('--threads-batch'))
        .env('ANYCHAT_THREADS_BATCH'),
    )
    .addOption(
      new Option('--prompt-cache-mib <mib>', `RAM for llamacpp's prompt cache of conversations waiting for their turn; 0 turns it off (default: ${DEFAULT_PROMPT_CACHE_MIB})`)
        .argParser(nonNegativeInteger('--prompt-cache-mib'))
        .env('ANYCHAT_PROMPT_CACHE_MIB'),
    )
    .addOption(
      new Option('--context-overflow <policy>', `when a conversation outgrows the context window (default: ${DEFAULT_CONTEXT_OVERFLOW})`)
        .choices(CONTEXT_OVERFLOW_POLICIES)
        .env('ANYCHAT_CONTEXT_OVERFLOW'),
    )
    .addOption(new Option('--context-size <tokens>', 'context window for llamacpp (default: the model’s, capped at 4096)').argParser(positiveInteger('--context-size')).env('ANYCHAT_CONTEXT_SIZE'))
    .addOption(new Option('--parallel <n>', 'conversations generated at once (llamacpp sequences)').argParser(positiveInteger('--parallel')).env('ANYCHAT_PARALLEL'))
    .addOption(new Option('--upstream-timeout <seconds>', 'timeout for requests to the endpoint').argParser(nonNegativeNumber('--upstream-timeout')).default(120).env('ANYCHAT_UPSTREAM_TIMEOUT'))
    .addOption(new Option('--echo-delay <ms>', 'delay between words for the echo backend').argParser(nonNegativeNumber('--echo-delay')).env('ANYCHAT_ECHO_DELAY'))
    .addOption(new Option('--chat-template <file>', 'Jinja chat template to use instead of the model’s own').env('ANYCHAT_CHAT_TEMPLATE'))
    .addOption(
      new Option('--reasoning <mode>', 'thinking models: auto splits thoughts from the answer, off asks the template not to think, raw leaves the text as written')
        .choices(['auto', 'off', 'raw'])
        .env('ANYCHAT_REASONING'),
    )
    .addOption(new Option('--grammar-file <file>', 'GBNF grammar every answer of the llamacpp backend must follow (thinking included)').env('ANYCHAT_GRAMMAR_FILE'))
    .addOption(upstreamLimitOption('maxLineBytes', 'longest SSE line accepted from the endpoint', 'ANYCHAT_UPSTREAM_MAX_LINE_BYTES'))
    .addOption(upstreamLimitOption('maxEventBytes', 'largest SSE event (or non-streamed answer) accepted from the endpoint', 'ANYCHAT_UPSTREAM_MAX_EVENT_BYTES'))
    .addOption(upstreamLimitOption('maxTokenBytes', 'largest single token accepted from the endpoint', 'ANYCHAT_UPSTREAM_MAX_TOKEN_BYTES'))
    .addOption(upstreamLimitOption('maxErrorBytes', 'largest error body read from the endpoint', 'ANYCHAT_UPSTREAM_MAX_ERROR_BYTES'));
}

function upstreamLimitOption(name: keyof typeof upstreamLimitFlags, description: string, environmentVariable: string): Option {
  const flag = upstreamLimitFlags[name];
  return new Option(`${flag} <bytes>`, `${description} (default: ${defaultUpstreamLimits[name]})`).argParser(positiveInteger(flag)).env(environmentVariable);
}

/** Where the endpoint's path ends in /v1, it is an OpenAI-compatible server; otherwise TGI, as in the lesson. */
function guessBackend(endpoint: string | undefined): BackendName {
  if (!endpoint) return 'llamacpp';
  return /\/v1\/?$/.test(endpoint) ? 'openai' : 'tgi';
}

export function backendSettingsFromOptions(options: BackendOptionValues, environment: NodeJS.ProcessEnv = process.env): BackendSettings {
  const backend = options.backend ?? guessBackend(options.endpoint);
  if ((backend === 'tgi' || backend === 'openai') && !options.endpoint) {
    throw new UsageError(`--backend ${backend} needs --endpoint URL (or ANYCHAT_ENDPOINT), e.g. --endpoint http://127.0.0.1:8080`);
  }
  if (options.endpoint) {
    try {
      const url = new URL(options.endpoint);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error();
    } catch {
      throw new UsageError(`--endpoint must be an http(s) URL, got "${options.endpoint}"`);
    }
  }
  let chatTemplate: string | undefined;
  if (options.chatTemplate) {
    try {
      chatTemplate = readFileSync(options.chatTemplate, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read --chat-template ${options.chatTemplate}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  let grammar: string | undefined;
  if (options.grammarFile) {
    if (backend !== 'llamacpp') {
      throw new UsageError(`--grammar-file works with the llamacpp backend only; a ${backend} server takes a grammar per request (response_format, or TGI's grammar)`);
    }
    try {
      grammar = readFileSync(options.grammarFile, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read --grammar-file ${options.grammarFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    if (grammar.trim() === '') throw new UsageError(`--grammar-file ${options.grammarFile} is empty; write a GBNF grammar with a root rule, e.g. root ::= "yes" | "no"`);
  }
  return {
    backend,
    model: options.model,
    grammar,
    endpoint: options.endpoint,
    // The lesson read HF_API_KEY; Hugging Face's own tools read HF_TOKEN.
    apiKey: options.apiKey ?? options.upstreamApiKey ?? environment.HF_API_KEY ?? environment.HF_TOKEN,
    threads: options.threads,
    threadsBatch: options.threadsBatch,
    promptCacheMib: options.promptCacheMib,
    contextOverflow: options.contextOverflow,
    contextSize: options.contextSize,
    parallel: options.parallel,
    timeoutMs: options.upstreamTimeout === undefined ? undefined : options.upstreamTimeout * 1000,
    echoDelayMs: options.echoDelay,
    chatTemplate,
    chatTemplateName: options.chatTemplate ? `chat template ${options.chatTemplate}` : undefined,
    reasoning: options.reasoning,
    upstreamLimits: {
      ...(options.upstreamMaxLineBytes === undefined ? {} : { maxLineBytes: options.upstreamMaxLineBytes }),
      ...(options.upstreamMaxEventBytes === undefined ? {} : { maxEventBytes: options.upstreamMaxEventBytes }),
      ...(options.upstreamMaxTokenBytes === undefined ? {} : { maxTokenBytes: options.upstreamMaxTokenBytes }),
      ...(options.upstreamMaxErrorBytes === undefined ? {} : { maxErrorBytes: options.upstreamMaxErrorBytes }),
    },
  };
}
