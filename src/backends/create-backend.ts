import type { ContextOverflowPolicy } from '../chat/context-overflow-policy.ts';
import type { ReasoningMode } from '../chat/reasoning/reasoning-mode.ts';
import type { PromptTemplateName } from '../chat/conversation.ts';
import type { Backend, BackendInfo, BackendName } from './backend.ts';
import { createEchoBackend } from './echo/echo-backend.ts';
import type { UpstreamLimits } from './http/upstream-limits.ts';

/**
 * What the command line and the environment say about the backend, before each backend's own
 * schema parses the part it cares about. Backends load lazily so that `anychat ask --backend tgi`
 * never pays for loading llama.cpp's native addon.
 */
export interface BackendSettings {
  backend: BackendName;
  model?: string | undefined;
  endpoint?: string | undefined;
  apiKey?: string | undefined;
  threads?: number | undefined;
  contextSize?: number | undefined;
  parallel?: number | undefined;
  timeoutMs?: number | undefined;
  echoDelayMs?: number | undefined;
  /** Caps on what a remote endpoint may send (upstream-limits.ts); unset ones keep their defaults. */
  upstreamLimits?: Partial<UpstreamLimits> | undefined;
  /** A Jinja chat template that replaces the model's own. */
  chatTemplate?: string | undefined;
  /** Where that template came from (its file), to name it in error messages. */
  chatTemplateName?: string | undefined;
  /** What to do with a thinking model's thoughts (`--reasoning`); default `auto`. */
  reasoning?: ReasoningMode | undefined;
  /** A GBNF grammar for every answer of the embedded engine (`--grammar-file`). */
  grammar?: string | undefined;
  /** The prompt template a request gets when it names none (`--template`, or a models-file entry's `template`). */
  template?: PromptTemplateName | undefined;
  /** Called with the share of a local model's file loaded so far, 0 to 1. */
  onLoadProgress?: ((fraction: number) => void) | undefined;
  /** The default context overflow policy (`--context-overflow`); conversations may set their own. */
  contextOverflow?: ContextOverflowPolicy | undefined;
  /** Decode threads and prompt-batch threads for llamacpp (`--threads`, `--threads-batch`). */
  threadsBatch?: number | undefined;
  /** RAM for llamacpp's prompt cache in MiB (`--prompt-cache-mib`); 0 turns it off. */
  promptCacheMib?: number | undefined;
  /** Called with download progress while a default model is fetched. */
  onDownloadProgress?: ((progress: { receivedBytes: number; totalBytes: number | null }) => void) | undefined;
}

export async function createBackend(settings: BackendSettings): Promise<Backend> {
  const backend = await createBareBackend(settings);
  const overrides: Partial<BackendInfo> = {
    ...(settings.chatTemplate ? { chatTemplate: settings.chatTemplate, chatTemplateName: settings.chatTemplateName ?? 'the --chat-template file' } : {}),
    ...(settings.reasoning ? { reasoning: settings.reasoning } : {}),
    ...(settings.template ? { template: settings.template } : {}),
    ...(settings.contextOverflow ? { contextOverflow: settings.contextOverflow } : {}),
  };
  return Object.keys(overrides).length > 0 ? withInfoOverrides(backend, overrides) : backend;
}

async function createBareBackend(settings: BackendSettings): Promise<Backend> {
  switch (settings.backend) {
    case 'echo':
      return createEchoBackend({ backend: 'echo', delayMs: settings.echoDelayMs ?? 0 });
    case 'tgi': {
      const { createTgiBackend } = await import('./tgi/tgi-backend.ts');
      return createTgiBackend({ backend: 'tgi', endpoint: settings.endpoint ?? '', apiKey: settings.apiKey, timeoutMs: settings.timeoutMs, limits: settings.upstreamLimits ?? {} });
    }
    case 'openai': {
      const { createOpenAiBackend } = await import('./openai/openai-backend.ts');
      return createOpenAiBackend({
        backend: 'openai',
        endpoint: settings.endpoint ?? '',
        apiKey: settings.apiKey,
        model: settings.model,
        timeoutMs: settings.timeoutMs,
        limits: settings.upstreamLimits ?? {},
      });
    }
    case 'llamacpp': {
      const { createLlamaCppBackend } = await import('./llamacpp/llamacpp-backend.ts');
      return createLlamaCppBackend({
        backend: 'llamacpp',
        model: settings.model,
        threads: settings.threads,
        threadsBatch: settings.threadsBatch,
        promptCacheMib: settings.promptCacheMib,
        contextSize: settings.contextSize,
        parallel: settings.parallel,
        reasoning: settings.reasoning,
        grammar: settings.grammar,
      }, { onDownloadProgress: settings.onDownloadProgress, onLoadProgress: settings.onLoadProgress });
    }
  }
}

/** The backend with parts of its info replaced: another chat template, the reasoning mode. */
function withInfoOverrides(backend: Backend, overrides: Partial<BackendInfo>): Backend {
  return {
    ...backend,
    name: backend.name,
    info: async (): Promise<BackendInfo> => ({ ...(await backend.info()), ...overrides }),
    countTokens: (text) => backend.countTokens(text),
    ...(backend.tokenize ? { tokenize: backend.tokenize.bind(backend) } : {}),
    generate: (request, signal) => backend.generate(request, signal),
    close: () => backend.close(),
  };
}
