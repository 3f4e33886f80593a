import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ModelRegistry } from '../models/model-registry.ts';
import type { ServedModel } from '../models/served-model.ts';
import { decodeStatsOf, engineStatsOf, promptStatsOf } from './engine-stats.ts';
import { registerProcessMemoryMetrics } from './process-memory-metrics.ts';

/**
 * Prometheus metrics, in a registry of their own per app so that tests (and two apps in one
 * process) never share counters. Gauges read the queues when scraped instead of being kept in step.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly generatedTokens: Counter<'model'>;
  readonly generations: Counter<'model' | 'outcome'>;
  readonly timeToFirstToken: Histogram<'model'>;
  readonly interTokenDelay: Histogram<'model'>;

  constructor(models: ModelRegistry) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'anychat_http_requests_total',
      help: 'HTTP requests answered, by route and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.generatedTokens = new Counter({ name: 'anychat_generated_tokens_total', help: 'Completion tokens generated', labelNames: ['model'], registers });
    this.generations = new Counter({
      name: 'anychat_generations_total',
      help: 'Generations ended, by outcome: length, stop, eos, aborted, error',
      labelNames: ['model', 'outcome'],
      registers,
    });
    this.timeToFirstToken = new Histogram({
      name: 'anychat_time_to_first_token_seconds',
      help: 'From the request reaching the queue to the first text, queue wait included',
      labelNames: ['model'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.interTokenDelay = new Histogram({
      name: 'anychat_inter_token_seconds',
      help: 'Time between consecutive text deltas of one generation',
      labelNames: ['model'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1],
      registers,
    });
    const perModel = (kind: 'counter' | 'gauge', name: string, help: string, labelNames: string[], read: (model: ServedModel) => ModelReading) =>
      perModelMetric(kind, { name, help, labelNames: ['model', ...labelNames], registers }, models, read);
    perModel('gauge', 'anychat_queue_depth', 'Requests waiting for a free sequence', [], (model) => [[{}, model.queue.depth]]);
    perModel('gauge', 'anychat_active_sequences', 'Generations running now (the engine’s own count when it reports one)', [], (model) => {
      const engine = model.backend ? engineStatsOf(model.backend) : null;
      return [[{}, engine?.activeSequences ?? model.queue.active]];
    });
    perModel(
      'counter',
      'anychat_engine_decodes_total',
      'llama_decode calls of the embedded engine, by how many sequences each carried (batching at work when most carry many)',
      ['sequences'],
      (model) => {
        const decodes = model.backend ? decodeStatsOf(model.backend) : null;
        return (decodes?.decodesBySequenceCount ?? []).flatMap((count, sequences) => (count > 0 ? [[{ sequences: String(sequences) }, count]] : []));
      },
    );
    perModel('counter', 'anychat_engine_decoded_tokens_total', 'Tokens the embedded engine evaluated (prompt tokens and generated tokens)', [], (model) => {
      const decodes = model.backend ? decodeStatsOf(model.backend) : null;
      return decodes ? [[{}, decodes.decodedTokens]] : [];
    });
    perModel('gauge', 'anychat_model_state', 'Each model’s state: 1 for the state it is in (unloaded, loading, ready, failed), 0 for the others', ['state'], (model) =>
      (['unloaded', 'loading', 'ready', 'failed'] as const).map((state) => [{ state }, model.status === state ? 1 : 0]),
    );
    perModel('counter', 'anychat_model_loads_total', 'Times a model loaded on demand was loaded, and unloaded (idle, or to make room)', ['event'], (model) =>
      model.onDemand
        ? [
            [{ event: 'load' }, model.loads],
            [{ event: 'unload' }, model.unloads],
          ]
        : [],
    );
    perModel(
      'counter',
      'anychat_engine_prompt_tokens_total',
      'Prompt tokens of the embedded engine: "reused" were already in the KV cache (or restored from the prompt cache), "evaluated" were computed',
      ['source'],
      (model) => {
        const prompts = model.backend ? promptStatsOf(model.backend) : null;
        return prompts
          ? [
              [{ source: 'reused' }, prompts.promptTokensReused],
              [{ source: 'evaluated' }, prompts.promptTokensEvaluated],
            ]
          : [];
      },
    );
    perModel(
      'counter',
      'anychat_engine_prompt_tokens_restored_total',
      'Of the reused prompt tokens, those loaded from the prompt cache after their conversation lost its sequence',
      [],
      (model) => {
        const prompts = model.backend ? promptStatsOf(model.backend) : null;
        return prompts ? [[{}, prompts.promptTokensRestored]] : [];
      },
    );
    perModel('gauge', 'anychat_engine_prompt_cache_bytes', 'Bytes of conversation KV state held in the prompt cache (--prompt-cache-mib)', [], (model) => {
      const prompts = model.backend ? promptStatsOf(model.backend) : null;
      return prompts ? [[{}, prompts.cache.bytes]] : [];
    });
    registerProcessMemoryMetrics(this.registry);
  }
}

/** One model's values of a metric: extra labels (beside `model`) and the value for them. */
type ModelReading = Array<[Record<string, string>, number]>;

/**
 * A metric read from every model when scraped. The totals live in the models and engines, so a
 * counter is rebuilt from them at each scrape (reset, then set to each total) rather than counted
 * twice; a gauge is set.
 */
function perModelMetric(
  kind: 'counter' | 'gauge',
  configuration: { name: string; help: string; labelNames: string[]; registers: Registry[] },
  models: ModelRegistry,
  read: (model: ServedModel) => ModelReading,
): void {
  if (kind === 'gauge') {
    new Gauge({
      ...configuration,
      collect() {
        for (const model of models.models) for (const [labels, value] of read(model)) this.set({ model: model.id, ...labels }, value);
      },
    });
    return;
  }
  new Counter({
    ...configuration,
    collect() {
      this.reset();
      for (const model of models.models) for (const [labels, value] of read(model)) this.inc({ model: model.id, ...labels }, value);
    },
  });
}
