import { existsSync } from 'node:fs';
import { z } from 'zod';
import { createBackend } from '../backends/create-backend.ts';
import { CommandFailure } from './command-failure.ts';
import { configuredModels, type ConfiguredModel } from './configured-models.ts';
import type { ModelsCommandOptions } from './models-command.ts';

interface ModelRow {
  id: string;
  backend: string;
  state: string;
  isDefault: boolean;
}

/** A remote endpoint that says nothing this long is reported as failing, so the list never hangs. */
const PROBE_TIMEOUT_MS = 10_000;

/**
 * `anychat models`: one line per model, `*` on the default. Configured models are checked without
 * loading any: a local file is found or not (`not loaded` until a server loads it), a remote
 * endpoint is asked for its info. With `--server`, a running server's own view: loaded or not,
 * loading with progress, or failed with its reason.
 */
export async function listModels(options: ModelsCommandOptions): Promise<void> {
  const rows = options.server ? await serverModels(options.server, options.authKey) : await checkConfiguredModels(options);
  const width = (pick: (row: ModelRow) => string) => Math.max(...rows.map((row) => pick(row).length));
  const idWidth = Math.max(width((row) => row.id), 2);
  const backendWidth = Math.max(width((row) => row.backend), 7);
  process.stdout.write(`  ${'ID'.padEnd(idWidth)}  ${'BACKEND'.padEnd(backendWidth)}  STATE\n`);
  for (const row of rows) process.stdout.write(`${row.isDefault ? '*' : ' '} ${row.id.padEnd(idWidth)}  ${row.backend.padEnd(backendWidth)}  ${row.state}\n`);
}

async function checkConfiguredModels(options: ModelsCommandOptions): Promise<ModelRow[]> {
  const { models, defaultModelId } = configuredModels(options);
  return Promise.all(models.map(async (model) => ({ id: model.id, backend: model.settings.backend, state: await stateOf(model), isDefault: model.id === defaultModelId })));
}

async function stateOf(model: ConfiguredModel): Promise<string> {
  const { settings } = model;
  if (settings.backend === 'echo') return 'ready';
  if (settings.backend === 'llamacpp') {
    if (!settings.model) return 'not loaded (the default model, downloaded on first use)';
    if (settings.model.startsWith('hf:')) return 'not loaded (downloaded on first use)';
    return existsSync(settings.model) ? 'not loaded' : `failed: ${settings.model} not found`;
  }
  try {
    const backend = await createBackend({ ...settings, timeoutMs: Math.min(settings.timeoutMs ?? PROBE_TIMEOUT_MS, PROBE_TIMEOUT_MS) });
    try {
      const info = await backend.info();
      return `ready (${info.modelId})`;
    } finally {
      await backend.close();
    }
  } catch (error) {
    return `failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

const serverModelsSchema = z.object({
  models: z.array(
    z.object({
      id: z.string(),
      backend: z.string(),
      status: z.string(),
      loadProgress: z.number().nullable().optional(),
      download: z.object({ receivedBytes: z.number(), totalBytes: z.number().nullable() }).nullable().optional(),
      error: z.string().nullable().optional(),
    }),
  ),
  defaultModelId: z.string(),
});

async function serverModels(server: string, authKey: string | undefined): Promise<ModelRow[]> {
  let response: Response;
  try {
    response = await fetch(new URL('/api/models', server), { headers: authKey ? { authorization: `Bearer ${authKey}` } : {} });
  } catch (error) {
    throw new CommandFailure(`cannot reach the server ${server}: ${(error as Error).message}; is anychat serve running there?`);
  }
  if (response.status === 401) throw new CommandFailure(`the server ${server} needs its key: pass --auth-key KEY (or ANYCHAT_AUTH_KEY)`);
  if (!response.ok) throw new CommandFailure(`the server ${server} answered ${response.status} to /api/models; is it an anychat server?`);
  const parsed = serverModelsSchema.safeParse(await response.json().catch(() => null));
  if (!parsed.success) throw new CommandFailure(`the server ${server} sent a model list this anychat does not understand; is it an anychat server?`);
  return parsed.data.models.map((model) => ({
    id: model.id,
    backend: model.backend,
    isDefault: model.id === parsed.data.defaultModelId,
    state:
      model.status === 'loading'
        ? `loading${model.loadProgress != null ? ` ${Math.floor(model.loadProgress * 100)}%` : model.download?.totalBytes ? ` (downloaded ${Math.floor((100 * model.download.receivedBytes) / model.download.totalBytes)}%)` : ''}`
        : model.status === 'unloaded'
          ? 'not loaded'
          : model.status === 'failed'
            ? `failed: ${model.error ?? 'no reason given'}`
            : 'ready',
  }));
}
