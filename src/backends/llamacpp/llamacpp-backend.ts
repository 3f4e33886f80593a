import { basename } from 'node:path';
import { LlamaGrammarEvaluationState, type Llama, type LlamaContextSequence, type LlamaGrammar, type LlamaModel, type Token } from 'node-llama-cpp';
import { AnswerStreamSplitter } from '../../chat/answer-stream-splitter.ts';
import { StopSequenceMatcher } from '../../chat/stop-sequence-matcher.ts';
import {
  BackendError,
  type Backend,
  type BackendInfo,
  type FinishReason,
  type GenerationEvent,
  type GenerationRequest,
  type PromptTokenLogprob,
  type TokenLogprob,
} from '../backend.ts';
import { GrammarCache } from './build-grammar.ts';
import { evaluatePromptWithLogprobs } from './prompt-logprobs.ts';
import { harmonyEndToken } from './harmony-end-token.ts';
import { GenerationMeter } from '../generation-meter.ts';
import { createCountedBatchStrategy, type DecodeBatchStats } from './decode-batch-counter.ts';
import { DecodeStepGate, type DecodeStepTicket } from './decode-step-gate.ts';
import { separateBatchThreads, type BatchThreadStats } from './batch-threads.ts';
import { DEFAULT_CONTEXT_SIZE, defaultBatchThreadCount, defaultThreadCount, llamaCppBackendConfigSchema, type LlamaCppBackendConfig } from './llamacpp-config.ts';
import { loadLlama } from './load-llama.ts';
import { loadModelFile } from './load-model-file.ts';
import { resolveModelPath, type ResolveModelOptions } from './resolve-model-path.ts';
import { chooseSequence, continuesCache, sharedPrefixLength } from './choose-sequence.ts';
import { PromptCache, type PromptCacheStats } from './prompt-cache.ts';
import { SequencePool, type SequencePoolStats } from './sequence-pool.ts';
import { TokenTextDecoder } from './token-text-decoder.ts';

/** Recent tokens the repetition penalty looks at: llama.cpp's `penalty_last_n` default. */
const REPETITION_PENALTY_WINDOW = 64;

export interface LlamaCppBackend extends Backend {
  /** Load on the engine, for the server's /metrics and health pages. */
  stats(): SequencePoolStats;
  /** Decode calls and how many sequences and tokens they carried, since the backend started. */
  decodeStats(): DecodeBatchStats;
  /** Decode and prompt-batch thread counts, and how many decodes ran on each. */
  threadStats(): BatchThreadStats;
  /** Prompt tokens taken from cache versus evaluated, and the prompt cache's state. */
  promptStats(): PromptReuseStats;
}

export interface PromptReuseStats {
  /** Prompt tokens whose KV state was already in the sequence (restored ones included). */
  promptTokensReused: number;
  /** Prompt tokens llama.cpp had to evaluate. */
  promptTokensEvaluated: number;
  /** Of the reused tokens, those loaded from the prompt cache. */
  promptTokensRestored: number;
  cache: PromptCacheStats;
}

/**
 * The embedded llama.cpp engine (through node-llama-cpp): one model, one context with `parallel`
 * sequences that node-llama-cpp batches together, and a queue in front of them. Loads the model
 * before returning, so a bad path fails at startup with a BackendError rather than on the first
 * request.
 */
export async function createLlamaCppBackend(
  config: LlamaCppBackendConfig,
  hooks: { onDownloadProgress?: ResolveModelOptions['onProgress']; onLoadProgress?: (fraction: number) => void } = {},
): Promise<LlamaCppBackend> {
  const { model: modelReference, contextSize, threads, threadsBatch, parallel, batchSize, modelCacheDirectory, reasoning, promptCacheMib, grammar: grammarText } =
    llamaCppBackendConfigSchema.parse(config);
  const modelPath = await resolveModelPath(modelReference, { cacheDirectory: modelCacheDirectory, onProgress: hooks.onDownloadProgress });
  const llama = await loadLlama();
  // Compiled before the model loads, so a grammar with a mistake stops the start at once, not every answer.
  const defaultGrammar = grammarText === undefined ? null : await compileDefaultGrammar(llama, grammarText);
  const model = await loadModelFile(llama, modelPath, hooks.onLoadProgress);
  const threadCounts = {
    threads: threads ?? defaultThreadCount(llama.cpuMathCores),
    threadsBatch: threadsBatch ?? defaultBatchThreadCount(llama.cpuMathCores),
  };
  let noteBatch = (_carriesPrompt: boolean): void => {};
  const batchCounter = createCountedBatchStrategy((batch) => noteBatch(batch.some((entry) => entry.processAmount > 1)));
  const context = await model
    .createContext({
      contextSize: contextSize ?? Math.min(DEFAULT_CONTEXT_SIZE, model.trainContextSize),
      sequences: parallel,
      threads: threadCounts.threads,
      batchSize,
      batching: { itemPrioritizationStrategy: batchCounter.strategy },
    })
    .catch(async (error: unknown) => {
      await model.dispose();
      throw new BackendError('model-load', `Could not create a context for ${modelPath}: ${(error as Error).message}`);
    });
  const batchThreads = separateBatchThreads(context, threadCounts);
  noteBatch = batchThreads.noteBatch;
  const sequences = Array.from({ length: parallel }, () => context.getSequence());
  // A fresh context numbers its sequences 0, 1, 2… in the order getSequence hands them out; the id
  // itself is not public, and the step gate and the pool's choice need it (see DecodeStepGate.open).
  const sequenceIds = new Map(sequences.map((sequence, index) => [sequence, index]));
  const sequenceIdOf = (sequence: LlamaContextSequence): number => sequenceIds.get(sequence) ?? 0;
  const pool = new SequencePool(sequences);
  const promptCache = await PromptCache.open(promptCacheMib * 1024 * 1024);
  const promptCounters = { promptTokensReused: 0, promptTokensEvaluated: 0, promptTokensRestored: 0 };
  const stepGate = new DecodeStepGate();
  const info: BackendInfo = {
    backend: 'llamacpp',
    modelId: basename(modelPath),
    contextWindow: context.contextSize,
    chatTemplate: model.fileInfo.metadata.tokenizer?.chat_template ?? null,
    specialTokens: { bos: model.tokens.bosString, eos: model.tokens.eosString },
    input: 'prompt',
    exactTokenCount: true,
    capabilities: { responseFormats: ['json-object', 'json-schema'], tools: true, maxTopLogprobs: MAX_TOP_LOGPROBS, schemaByLocalGrammar: true, promptLogprobs: true },
    reasoning,
  };
  const grammars = new GrammarCache(llama, info.chatTemplate);
  const turnGoesOn = harmonyEndToken(model, info.chatTemplate);

  return {
    name: 'llamacpp',
    info: async () => info,
    countTokens: async (text) => model.tokenize(text, true).length,
    tokenize: async (text) => model.tokenize(text, true).map((id) => ({ id: Number(id), text: model.detokenize([id], true) })),
    stats: () => pool.stats(),
    decodeStats: () => batchCounter.stats(),
    threadStats: () => batchThreads.stats(),
    promptStats: () => ({ ...promptCounters, cache: promptCache.stats() }),
    generate(request: GenerationRequest, signal?: AbortSignal): AsyncIterable<GenerationEvent> {
      return generateWithPool(request, signal);
    },
    close: async () => {
      await promptCache.close();
      await context.dispose();
      await model.dispose();
    },
  };

  async function* generateWithPool(request: GenerationRequest, signal?: AbortSignal): AsyncGenerator<GenerationEvent> {
    const meter = new GenerationMeter();
    if (request.prompt === undefined) {
      yield { type: 'error', code: 'validation', message: 'the llamacpp backend needs a rendered prompt (BackendInfo.input is "prompt")' };
      return;
    }
    const promptTokens = tokenizePrompt(model, request.prompt);
    const { maxNewTokens } = request.parameters;
    if (promptTokens.length === 0) {
      yield { type: 'error', code: 'validation', message: 'the prompt is empty and the model has no BOS token to start from' };
      return;
    }
    if (promptTokens.length + maxNewTokens > context.contextSize) {
      yield {
        type: 'error',
        code: 'context-overflow',
        message:
          `prompt (${promptTokens.length} tokens) + maxNewTokens (${maxNewTokens}) = ${promptTokens.length + maxNewTokens} tokens, ` +
          `more than the context window of ${context.contextSize} tokens`,
      };
      return;
    }
    let lease;
    try {
      // Reusing the sequence whose cache the prompt continues skips re-reading the conversation so
      // far, which is most of the prompt in a multi-turn chat.
      const choose = (free: readonly LlamaContextSequence[]) =>
        chooseSequence(free, promptTokens, { cachedTokensOf: (sequence) => sequence.contextTokens, idOf: sequenceIdOf }).sequence;
      lease = await pool.acquire(signal, choose);
    } catch {
      yield meter.finish('aborted', promptTokens.length);
      return;
    }
    try {
      let reused: number;
      let promptLogprobs: PromptTokenLogprob[] | undefined;
      try {
        if (request.promptLogprobs) {
          // The cached prefix has no logits left: the whole prompt is read again for its logprobs,
          // after the sequence's own conversation, if it is another one, is saved.
          if (promptCache.enabled && !continuesCache(lease.sequence.contextTokens, promptTokens)) await promptCache.save(lease.sequence);
          promptLogprobs = await evaluatePromptWithLogprobs(lease.sequence, model, promptTokens);
          promptCounters.promptTokensEvaluated += promptTokens.length - 1;
          reused = promptTokens.length - 1;
        } else {
          reused = await loadPromptPrefix(lease.sequence, promptTokens);
          promptCounters.promptTokensReused += reused;
          promptCounters.promptTokensEvaluated += promptTokens.length - reused;
        }
      } catch (error) {
        yield { type: 'error', code: 'generation', message: `llama.cpp failed while reading the prompt: ${(error as Error).message}` };
        return;
      }
      yield* generateOnSequence(lease.sequence, promptTokens, reused, promptLogprobs, request, meter, signal);
    } finally {
      lease.release();
    }
  }

  /**
   * Makes the sequence hold as much of the prompt as any cache has: when the prompt does not carry
   * on from the sequence's own history, that history is saved to the prompt cache (it belongs to
   * another conversation, which may come back) and the prompt's own saved state, if any, is loaded.
   * Returns how many prompt tokens need no evaluation.
   */
  async function loadPromptPrefix(sequence: LlamaContextSequence, promptTokens: readonly Token[]): Promise<number> {
    if (promptCache.enabled && !continuesCache(sequence.contextTokens, promptTokens)) {
      await promptCache.save(sequence);
      const saved = promptCache.find(promptTokens);
      if (saved && sharedPrefixLength(saved.tokens, promptTokens) > sharedPrefixLength(sequence.contextTokens, promptTokens)) {
        if (await promptCache.restore(saved, sequence)) {
          promptCounters.promptTokensRestored += Math.min(sharedPrefixLength(saved.tokens, promptTokens), promptTokens.length - 1);
        }
      }
    }
    return keepSharedPrefix(sequence, promptTokens);
  }

  async function* generateOnSequence(
    sequence: LlamaContextSequence,
    promptTokens: Token[],
    reused: number,
    promptLogprobs: PromptTokenLogprob[] | undefined,
    request: GenerationRequest,
    meter: GenerationMeter,
    signal?: AbortSignal,
  ): AsyncGenerator<GenerationEvent> {
    const { maxNewTokens, temperature, topK, topP, seed, repetitionPenalty, stop } = request.parameters;
    const tools = request.toolChoice === 'none' ? [] : (request.tools ?? []);
    let grammarState: LlamaGrammarEvaluationState | undefined;
    // A JSON grammar (a response format, a forced call) writes the answer itself; the configured
    // grammar covers the raw text, thinking included.
    let grammar: Promise<LlamaGrammar> | null;
    try {
      grammar = grammars.forToolChoice(tools, request.toolChoice) ?? grammars.forResponseFormat(request.responseFormat);
      const chosen = grammar ? await grammar : defaultGrammar;
      if (chosen) grammarState = new LlamaGrammarEvaluationState({ model, grammar: chosen });
    } catch (error) {
      yield { type: 'error', code: 'validation', message: `the response format or tool schema cannot be turned into a grammar: ${(error as Error).message}` };
      return;
    }
    const jsonGrammar = grammar !== null;
    const history = [...promptTokens];
    const topLogprobs = request.logprobs?.top;
    const tokens = sequence.evaluateWithMetadata(
      promptTokens.slice(reused),
      { probabilities: topLogprobs !== undefined },
      {
        temperature,
        topK,
        topP,
        seed,
        grammarEvaluationState: grammarState,
        repeatPenalty:
          repetitionPenalty !== undefined && repetitionPenalty !== 1
            ? { penalty: repetitionPenalty, punishTokens: () => history.slice(-REPETITION_PENALTY_WINDOW), maxPunishTokens: REPETITION_PENALTY_WINDOW }
            : undefined,
        yieldEogToken: true,
      },
    );
    const decoder = new TokenTextDecoder(model);
    const matcher = new StopSequenceMatcher(stop);
    const answer = new AnswerStreamSplitter({
      // A grammar holds from the first token, so a block the prompt opened holds the grammar's JSON,
      // which is the answer: the client asked for it, not for thoughts.
      reasoning: reasoning === 'raw' || (jsonGrammar && request.reasoning?.startsInside) ? null : (request.reasoning ?? null),
      tools,
      callRequired: jsonGrammar && tools.length > 0 && request.toolChoice !== 'auto' && request.toolChoice !== undefined,
      singleCall: request.parallelToolCalls === false,
    });
    // Joined after the first token: a prompt goes to node-llama-cpp at once and shares whatever batch is next.
    let stepTicket: DecodeStepTicket | undefined;
    // Leaves the step gate before the last events go out, so the others do not wait on a reader
    // that may never ask for more.
    const finish = function* (reason: FinishReason, flushHeldText: boolean): Generator<GenerationEvent> {
      stepTicket?.leave();
      if (flushHeldText) {
        const text = matcher.push(decoder.flush()).text + matcher.flush();
        if (text) yield* answer.push(text);
      }
      if (reason === 'aborted') {
        yield meter.finish(reason, promptTokens.length);
        return;
      }
      const rest = answer.finish();
      yield* rest.events;
      const finished = meter.finish(rest.calledTools ? 'tool-calls' : reason, promptTokens.length);
      yield promptLogprobs ? { ...finished, promptLogprobs } : finished;
    };
    try {
      while (true) {
        const opened = stepTicket?.arrive();
        if (opened && (await resolveOrAbort(opened, signal)) === 'aborted') {
          yield* finish('aborted', false);
          return;
        }
        const step = await nextOrAbort(tokens, signal);
        if (step === 'aborted') {
          yield* finish('aborted', false);
          return;
        }
        if (stepTicket) stepTicket.received();
        else stepTicket = stepGate.join(sequenceIdOf(sequence));
        if (step.done) {
          // evaluate() only ends by itself when the sequence is full, which the budget check prevents.
          yield* finish('length', true);
          return;
        }
        // Present only when asked for (`probabilities: true`), which the output type cannot see.
        const { token, probabilities } = step.value as { token: Token; probabilities?: Map<Token, number> };
        meter.recordTokens(1);
        if (model.isEogToken(token) && token !== turnGoesOn) {
          yield* finish('eos', true);
          return;
        }
        history.push(token);
        const logprobs = topLogprobs !== undefined && probabilities ? [tokenLogprob(model, token, probabilities, topLogprobs)] : undefined;
        const { text, stopped } = matcher.push(decoder.push(token));
        if (text || logprobs) yield* answer.push(text, logprobs, token);
        if (stopped) {
          yield* finish('stop', false);
          return;
        }
        if (meter.completionTokens >= maxNewTokens) {
          yield* finish('length', true);
          return;
        }
      }
    } catch (error) {
      yield { type: 'error', code: 'generation', message: `llama.cpp failed while generating: ${(error as Error).message}` };
    } finally {
      stepTicket?.leave();
      // Waits for the token being computed (if any) so the sequence is idle when it goes back to the pool.
      await tokens.return();
    }
  }
}

async function compileDefaultGrammar(llama: Llama, text: string): Promise<LlamaGrammar> {
  try {
    return await llama.createGrammar({ grammar: text });
  } catch (error) {
    // llama.cpp's parser prints the reason (rule and position) to stderr itself; the error only says it failed.
    throw new BackendError('model-load', `the --grammar-file grammar does not parse (${(error as Error).message}: llama.cpp's reason is printed above); write GBNF with a root rule, e.g. root ::= "yes" | "no"`);
  }
}

/** OpenAI's limit for `top_logprobs`; TGI's `top_n_tokens` has none, but more than 20 says nothing new. */
const MAX_TOP_LOGPROBS = 20;

/**
 * OpenAI writes -9999 for a token the sampler ruled out (probability 0); JSON has no -Infinity.
 * The probabilities are those node-llama-cpp samples from: after top-k/top-p and the grammar.
 */
function logprobOf(probability: number | undefined): number {
  return probability !== undefined && probability > 0 ? Math.log(probability) : -9999;
}

function tokenLogprob(model: LlamaModel, token: Token, probabilities: Map<Token, number>, top: number): TokenLogprob {
  const alternatives = [...probabilities.entries()].slice(0, top).map(([id, probability]) => ({
    tokenId: Number(id),
    text: model.detokenize([id], true),
    logprob: logprobOf(probability),
  }));
  return { tokenId: Number(token), text: model.detokenize([token], true), logprob: logprobOf(probabilities.get(token)), top: alternatives };
}

/**
 * Parses special tokens, so a ChatML prompt's `<|im_start|>` becomes the control token and not
 * its characters. Adds BOS only when the model asks for it and the template did not already.
 */
function tokenizePrompt(model: LlamaModel, prompt: string): Token[] {
  const tokens = model.tokenize(prompt, true);
  const bos = model.tokens.bos;
  if (bos !== null && (tokens.length === 0 || (model.tokens.shouldPrependBosToken && tokens[0] !== bos))) return [bos, ...tokens];
  return tokens;
}

/** Erases the cached tokens after the shared prefix; returns how many prompt tokens need no evaluation. */
async function keepSharedPrefix(sequence: LlamaContextSequence, promptTokens: readonly Token[]): Promise<number> {
  // The last prompt token is always evaluated again: its logits pick the first new token.
  const reused = Math.min(sharedPrefixLength(sequence.contextTokens, promptTokens), promptTokens.length - 1);
  if (reused < sequence.nextTokenIndex) {
    await sequence.eraseContextTokenRanges([{ start: reused, end: sequence.nextTokenIndex }]);
  }
  return reused;
}

/** Resolves with the next token, or with 'aborted' as soon as the signal fires, even mid-token. */
function nextOrAbort<T>(iterator: AsyncIterator<T>, signal?: AbortSignal): Promise<IteratorResult<T> | 'aborted'> {
  if (signal?.aborted) return Promise.resolve('aborted');
  return resolveOrAbort(iterator.next(), signal);
}

/** Resolves with the promise's value, or with 'aborted' as soon as the signal fires. */
function resolveOrAbort<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T | 'aborted'> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.resolve('aborted');
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (result) => {
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
