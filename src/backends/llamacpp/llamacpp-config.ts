import { z } from 'zod';
import { reasoningModeSchema } from '../../chat/reasoning/reasoning-mode.ts';

/** Beyond ~4 threads, decoding small models is memory-bound and more threads gain little. */
export const MAX_DEFAULT_THREADS = 4;

/**
 * Threads per context when none are configured: one less than the physical cores llama.cpp finds
 * useful for math (at least 1, at most MAX_DEFAULT_THREADS). ggml's worker threads spin-wait for
 * each other at every op, so a team larger than the cores actually free collapses instead of
 * slowing gently. node-llama-cpp's own default, max(cores, 4), ran ~300× slower than 1 thread on
 * the 2-core dev box. Measured there on the SmolLM2-135M-shape Q8_0 model (raw node-llama-cpp,
 * bench/engine.ts): on an idle box, 1 thread ≈ 30–35 decode and ≈ 210 prompt tokens/s, 2 threads
 * ≈ 32–40 decode and ≈ 270–390 prompt tokens/s; with other work running (load average 8),
 * 1 thread still gave 30.6 decode / 183 prompt tokens/s while 2 threads fell to 0.9 / 113.
 * Keeping one core for Node's event loop (tokenizing, streaming, HTTP) and the rest of the machine
 * trades a modest prompt-speed gain on an idle box for never hitting that cliff. Past ~4 threads
 * decode of small models is memory-bound and gains little.
 */
export function defaultThreadCount(physicalMathCores: number): number {
  return Math.max(1, Math.min(physicalMathCores - 1, MAX_DEFAULT_THREADS));
}

/**
 * A quarter of llama-server's 8 GiB `--cache-ram` default: anychat often shares a laptop with the
 * browser that shows it. One saved state of a 2,048-token SmolLM2-135M conversation is about 45
 * MiB (f16 K and V, 30 layers × 3 KV heads × 64 × 2 × 2 bytes per token), so 2 GiB holds dozens.
 */
export const DEFAULT_PROMPT_CACHE_MIB = 2048;

/**
 * Threads for prompt batches when none are configured: every physical core. A prompt batch is
 * hundreds of tokens per matrix product, compute-bound, so each core adds speed (2 threads gave
 * 1.44–1.78× the prompt speed of 1 on the 2-core dev box, issue 14), and its ops are long enough
 * that a busy core slows it gently rather than collapsing it: under load average 8, 2 threads
 * still gave 113 prompt tokens/s against 183 on 1, while decode fell from 30.6 to 0.9 tokens/s.
 */
export function defaultBatchThreadCount(physicalMathCores: number): number {
  return Math.max(1, physicalMathCores);
}

/** Context window when none is configured (capped at the model's trained context). */
export const DEFAULT_CONTEXT_SIZE = 4096;

export const llamaCppBackendConfigSchema = z.object({
  backend: z.literal('llamacpp'),
  /** A GGUF path, an `hf:owner/repo/file.gguf` reference, or nothing for the default model (downloaded once). */
  model: z.string().min(1).optional(),
  /** Tokens per sequence (prompt + completion). Defaults to min(4096, the model's trained context). */
  contextSize: z.number().int().min(16).optional(),
  /** CPU threads for single-token decode steps (`--threads`); see defaultThreadCount for the default. */
  threads: z.number().int().min(1).max(256).optional(),
  /** CPU threads for prompt batches (`--threads-batch`); see defaultBatchThreadCount for the default. */
  threadsBatch: z.number().int().min(1).max(256).optional(),
  /** Sequences that generate at once; more requests wait in a queue. Each adds contextSize tokens of KV cache. */
  parallel: z.number().int().min(1).max(64).default(1),
  /**
   * RAM for the KV state of conversations whose sequence went to another conversation, restored
   * when they come back (llama-server's `--cache-ram`); 0 turns it off. See PromptCache.
   */
  promptCacheMib: z.number().int().min(0).max(1_048_576).default(DEFAULT_PROMPT_CACHE_MIB),
  /** Tokens per llama.cpp batch during prompt processing. */
  batchSize: z.number().int().min(1).max(65536).default(512),
  /** Where downloaded models go; defaults to $XDG_CACHE_HOME/anychat/models or ~/.cache/anychat/models. */
  modelCacheDirectory: z.string().min(1).optional(),
  /**
   * Thinking models (`<think>` in the template): `auto` splits the thinking from the answer,
   * `off` also asks the template not to think (Qwen3's enable_thinking), `raw` leaves the text as
   * the model wrote it, as llama-server's `--reasoning-format none` does.
   */
  reasoning: reasoningModeSchema.default('auto'),
  /**
   * A GBNF grammar every answer must follow unless the request brings its own (a response format
   * or a forced tool call), as llama-server's `--grammar-file`. It covers the raw text, thinking
   * included, and the thinking is still split from the answer.
   */
  grammar: z.string().min(1).optional(),
});
export type LlamaCppBackendConfig = z.input<typeof llamaCppBackendConfigSchema>;
export type ParsedLlamaCppBackendConfig = z.output<typeof llamaCppBackendConfigSchema>;
