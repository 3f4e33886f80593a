import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ModelRegistry } from '../models/model-registry.ts';
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
    new Gauge({
      name: 'anychat_queue_depth',
      help: 'Requests waiting for a free sequence',
      labelNames: ['model'],
      registers,
      collect() {
        for (const model of models.models) this.set({ model: model.id }, model.queue.depth);
      },
    });
    new Gauge({
      name: 'anychat_active_sequences',
      help: 'Generations running now (the engine’s own count when it reports one)',
      labelNames: ['model'],
      registers,
      collect() {
        for (const model of models.models) {
          const engine = model.backend ? engineStatsOf(model.backend) : null;
          this.set({ model: model.id }, engine?.activeSequences ?? model.queue.active);
        }
      },
    });
    new Counter({
      name: 'anychat_engine_decodes_total',
      help: 'llama_decode calls of the embedded engine, by how many sequences each carried (batching at work when most carry many)',
      labelNames: ['model', 'sequences'],
      registers,
      collect() {
        this.reset();
        for (const model of models.models) {
          const decodes = model.backend ? decodeStatsOf(model.backend) : null;
          decodes?.decodesBySequenceCount.forEach((count, sequences) => {
            if (count > 0) this.inc({ model: model.id, sequences: String(sequences) }, count);
          });
        }
      },
    });
    new Counter({
      name: 'anychat_engine_decoded_tokens_total',
      help: 'Tokens the embedded engine evaluated (prompt tokens and generated tokens)',
      labelNames: ['model'],
      registers,
      collect() {
        this.reset();
        for (const model of models.models) {
          const decodes = model.backend ? decodeStatsOf(model.backend) : null;
          if (decodes) this.inc({ model: model.id }, decodes.decodedTokens);
        }
      },
    });
    new Gauge({
      name: 'anychat_model_state',
      help: 'Each model’s state: 1 for the state it is in (unloaded, loading, ready, failed), 0 for the others',
      labelNames: ['model', 'state'],
      registers,
      collect() {
        for (const model of models.models) {
          for (const state of ['unloaded', 'loading', 'ready', 'failed'] as const) this.set({ model: model.id, state }, model.status === state ? 1 : 0);
        }
      },
    });
    new Counter({
      name: 'anychat_model_loads_total',
      help: 'Times a model loaded on demand was loaded, and unloaded (idle, or to make room)',
      labelNames: ['model', 'event'],
      registers,
      collect() {
        this.reset();
        for (const model of models.models) {
          if (!model.onDemand) continue;
          this.inc({ model: model.id, event: 'load' }, model.loads);
          this.inc({ model: model.id, event: 'unload' }, model.unloads);
        }
      },
    });
    new Counter({
      name: 'anychat_engine_prompt_tokens_total',
      help: 'Prompt tokens of the embedded engine: "reused" were already in the KV cache (or restored from the prompt cache), "evaluated" were computed',
      labelNames: ['model', 'source'],
      registers,
      collect() {
        this.reset();
        for (const model of models.models) {
          const prompts = model.backend ? promptStatsOf(model.backend) : null;
          if (!prompts) continue;
          this.inc({ model: model.id, source: 'reused' }, prompts.promptTokensReused);
          this.inc({ model: model.id, source: 'evaluated' }, prompts.promptTokensEvaluated);
        }
      },
    });
    new Counter({
      name: 'anychat_engine_prompt_tokens_restored_total',
      help: 'Of the reused prompt tokens, those loaded from the prompt cache after their conversation lost its sequence',
      labelNames: ['model'],
      registers,
      collect() {
        this.reset();
        for (const model of models.models) {
          const prompts = model.backend ? promptStatsOf(model.backend) : null;
          if (prompts) this.inc({ model: model.id }, prompts.promptTokensRestored);
        }
      },
    });
    new Gauge({
      name: 'anychat_engine_prompt_cache_bytes',
      help: 'Bytes of conversation KV state held in the prompt cache (--prompt-cache-mib)',
      labelNames: ['model'],
      registers,
      collect() {
        for (const model of models.models) {
          const prompts = model.backend ? promptStatsOf(model.backend) : null;
          if (prompts) this.set({ model: model.id }, prompts.cache.bytes);
        }
      },
    });
    registerProcessMemoryMetrics(this.registry);
  }
}
