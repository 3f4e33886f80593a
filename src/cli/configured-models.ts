import { readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { BackendSettings } from '../backends/create-backend.ts';
import { backendSettingsFromOptions, type BackendOptionValues } from './backend-options.ts';
import { readModelsFile, type ModelEntry } from './models-file.ts';
import { UsageError } from './usage-error.ts';

/** One model as the command line and the models file describe it, before anything loads. */
export interface ConfiguredModel {
  id: string;
  settings: BackendSettings;
  /**
   * Local models from a models file or folder load when first asked for, and may be unloaded
   * again; a lone `--model` loads at start, as it always has.
   */
  onDemand: boolean;
  /** Generations at once, when the entry or `--parallel` says. */
  parallel: number | undefined;
  maxQueue: number | undefined;
}

export interface ConfiguredModels {
  models: ConfiguredModel[];
  defaultModelId: string;
}

export interface ModelListOptions extends BackendOptionValues {
  /** `--models FILE` (ANYCHAT_MODELS). */
  models?: string;
  /** `--models-dir DIR` (ANYCHAT_MODELS_DIR). */
  modelsDir?: string;
}

/**
 * The models a command runs with, the same for serve, ask and chat: the models file and the GGUF
 * files of a folder when given (then `--model` names which one is the default), else the one model
 * `--model`/`--endpoint` describe. Flags such as `--threads` fill in what an entry leaves out.
 */
export function configuredModels(options: ModelListOptions, environment: NodeJS.ProcessEnv = process.env): ConfiguredModels {
  if (!options.models && !options.modelsDir) {
    const settings = backendSettingsFromOptions(options, environment);
    const id = settings.model ?? settings.backend;
    return { models: [{ id, settings, onDemand: false, parallel: settings.parallel, maxQueue: undefined }], defaultModelId: id };
  }
  if (options.endpoint) throw new UsageError('--endpoint cannot be combined with --models or --models-dir: add the endpoint to the models file as an entry');
  const entries: ModelEntry[] = [
    ...(options.models ? readModelsFile(options.models) : []),
    ...(options.modelsDir ? modelsInFolder(options.modelsDir) : []),
  ];
  const ids = new Set<string>();
  for (const entry of entries) {
    if (ids.has(entry.id)) throw new UsageError(`two models are named "${entry.id}" (the models file and --models-dir ${options.modelsDir}); rename the entry in the models file`);
    ids.add(entry.id);
  }
  const models = entries.map((entry) => modelFromEntry(entry, options, environment));
  const chosen = options.model ?? entries.find((entry) => entry.default)?.id ?? entries[0]!.id;
  if (!ids.has(chosen)) {
    throw new UsageError(`--model ${chosen} is not among the configured models; with --models or --models-dir, --model names one of: ${[...ids].join(', ')}`);
  }
  return { models, defaultModelId: chosen };
}

/** Every `.gguf` file of a folder, named by its file name without `.gguf`, in name order. */
export function modelsInFolder(folder: string): ModelEntry[] {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch (error) {
    throw new UsageError(`cannot read --models-dir ${folder}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const files = names.filter((name) => name.toLowerCase().endsWith('.gguf')).sort();
  if (files.length === 0) throw new UsageError(`--models-dir ${folder} holds no .gguf files; put GGUF models there, or name a file with --model`);
  return files.map((file) => ({ id: basename(file, file.slice(-5)), backend: 'llamacpp' as const, model: resolve(join(folder, file)) }));
}

function modelFromEntry(entry: ModelEntry, flags: BackendOptionValues, environment: NodeJS.ProcessEnv): ConfiguredModel {
  const place = `model "${entry.id}"`;
  let apiKey: string | undefined;
  if ('apiKeyEnv' in entry && entry.apiKeyEnv) {
    apiKey = environment[entry.apiKeyEnv];
    if (!apiKey) throw new UsageError(`${place}: apiKeyEnv names ${entry.apiKeyEnv}, which is not set; set it (export ${entry.apiKeyEnv}=…, or in .env) or remove apiKeyEnv`);
  }
  const entryOptions: BackendOptionValues = {
    // Shared flags first: an entry's own value wins.
    threads: flags.threads,
    contextSize: flags.contextSize,
    upstreamTimeout: flags.upstreamTimeout,
    echoDelay: flags.echoDelay,
    chatTemplate: flags.chatTemplate,
    reasoning: flags.reasoning,
    contextOverflow: flags.contextOverflow,
    upstreamMaxLineBytes: flags.upstreamMaxLineBytes,
    upstreamMaxEventBytes: flags.upstreamMaxEventBytes,
    upstreamMaxTokenBytes: flags.upstreamMaxTokenBytes,
    upstreamMaxErrorBytes: flags.upstreamMaxErrorBytes,
    parallel: entry.parallel ?? flags.parallel,
    backend: entry.backend,
    ...(entry.reasoning ? { reasoning: entry.reasoning } : {}),
    ...(entry.chatTemplate ? { chatTemplate: entry.chatTemplate } : {}),
    ...(entry.contextOverflow ? { contextOverflow: entry.contextOverflow } : {}),
    ...(entry.backend === 'llamacpp'
      ? {
          model: entry.model,
          threads: entry.threads ?? flags.threads,
          threadsBatch: entry.threadsBatch ?? flags.threadsBatch,
          contextSize: entry.contextSize ?? flags.contextSize,
          promptCacheMib: entry.promptCacheMib ?? flags.promptCacheMib,
          grammarFile: entry.grammarFile ?? flags.grammarFile,
        }
      : {}),
    ...(entry.backend === 'openai' || entry.backend === 'tgi'
      ? { endpoint: entry.endpoint, upstreamTimeout: entry.upstreamTimeout ?? flags.upstreamTimeout, ...(apiKey ? { apiKey } : {}) }
      : {}),
    ...(entry.backend === 'openai' && entry.model ? { model: entry.model } : {}),
    ...(entry.backend === 'echo' && entry.echoDelay !== undefined ? { echoDelay: entry.echoDelay } : {}),
  };
  let settings: BackendSettings;
  try {
    // No environment: HF_TOKEN and the like must not reach an endpoint the file gave no key for.
    settings = backendSettingsFromOptions(entryOptions, {});
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`${place}: ${error.message}`);
    throw error;
  }
  return {
    id: entry.id,
    settings: { ...settings, ...(entry.template ? { template: entry.template } : {}) },
    onDemand: entry.backend === 'llamacpp',
    parallel: settings.parallel,
    maxQueue: entry.maxQueue,
  };
}

/** The backend settings of the one model `ask` and `chat` talk to: `--model ID` from the list, or its default. */
export function chosenModelSettings(options: ModelListOptions, environment: NodeJS.ProcessEnv = process.env): BackendSettings {
  const { models, defaultModelId } = configuredModels(options, environment);
  return models.find((model) => model.id === defaultModelId)!.settings;
}

/** The models `ask --compare a,b` names, in its order; an unknown id is refused naming the known ones. */
export function comparedModels(options: ModelListOptions, ids: readonly string[], environment: NodeJS.ProcessEnv = process.env): ConfiguredModel[] {
  const { models } = configuredModels({ ...options, model: undefined }, environment);
  return ids.map((id) => {
    const found = models.find((model) => model.id === id);
    if (!found) throw new UsageError(`--compare names ${id}, which is not among the configured models: ${models.map((model) => model.id).join(', ')}`);
    return found;
  });
}
