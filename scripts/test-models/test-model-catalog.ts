import { GgmlType } from '../gguf/gguf-types.ts';
import { QWEN25_CHAT_TEMPLATE, SMOLLM2_CHAT_TEMPLATE } from './chat-templates.ts';
import type { VocabularySpec } from './vocabulary.ts';

export interface TestModelSpec {
  architecture: 'llama' | 'qwen2';
  description: string;
  blockCount: number;
  embeddingLength: number;
  feedForwardLength: number;
  headCount: number;
  headCountKv: number;
  contextLength: number;
  ropeFrequencyBase: number;
  rmsNormEpsilon: number;
  /** Qwen2 has biases on the q/k/v projections; llama has none. */
  attentionBias: boolean;
  weightType: GgmlType.F32 | GgmlType.Q8_0 | GgmlType.Q4_0;
  vocabulary: VocabularySpec;
  chatTemplate: string;
  seed: number;
}

/**
 * Qwen2.5's vocabulary, straight from llama.cpp's `ggml-vocab-qwen2.gguf`: 151,936 entries (the
 * file already pads the 151,665 real tokens with `[PAD…]` entries to the embedding size, as the
 * HF converter does), so the 0.5B shape is exact. EOS is `<|im_end|>` as in the Instruct GGUFs,
 * because chat turns end with it.
 */
const qwen2Vocabulary: VocabularySpec = {
  file: 'qwen2',
  endOfSequenceText: '<|im_end|>',
  beginningOfSequenceText: '<|endoftext|>',
  addBeginningOfSequence: false,
};

/**
 * SmolLM2's own tokenizer is not among llama.cpp's vocabulary files. The closest is StarCoder's:
 * the same byte-level BPE family with the same 49,152 entries and control tokens at the front.
 * SmolLM2 puts `<|im_start|>`/`<|im_end|>` at ids 1 and 2 where StarCoder has `<fim_prefix>`/
 * `<fim_middle>`, so we rename those two; every other token and merge is StarCoder's.
 */
const smolLm2Vocabulary: VocabularySpec = {
  file: 'starcoder',
  renameTokens: { 1: '<|im_start|>', 2: '<|im_end|>' },
  endOfSequenceText: '<|im_end|>',
  beginningOfSequenceText: '<|im_start|>',
  addBeginningOfSequence: false,
};

const smolLm2Shape = {
  architecture: 'llama',
  blockCount: 30,
  embeddingLength: 576,
  feedForwardLength: 1536,
  headCount: 9,
  headCountKv: 3,
  contextLength: 8192,
  ropeFrequencyBase: 100000,
  rmsNormEpsilon: 1e-5,
  attentionBias: false,
  vocabulary: smolLm2Vocabulary,
  chatTemplate: SMOLLM2_CHAT_TEMPLATE,
} as const;

const qwen25Shape = {
  architecture: 'qwen2',
  blockCount: 24,
  embeddingLength: 896,
  feedForwardLength: 4864,
  headCount: 14,
  headCountKv: 2,
  contextLength: 32768,
  ropeFrequencyBase: 1000000,
  rmsNormEpsilon: 1e-6,
  attentionBias: true,
  vocabulary: qwen2Vocabulary,
  chatTemplate: QWEN25_CHAT_TEMPLATE,
} as const;

/**
 * Random-weight models with real vocabularies and chat templates. `tiny` is for tests (a few MB,
 * loads in milliseconds); the others have the exact tensor shapes of SmolLM2-135M and
 * Qwen2.5-0.5B, so benchmarks pay the real compute per token.
 */
export const testModelCatalog = {
  tiny: {
    architecture: 'llama',
    description: 'tiny llama-architecture model with the SmolLM2-style vocabulary and ChatML, for tests',
    blockCount: 2,
    embeddingLength: 64,
    feedForwardLength: 256,
    headCount: 4,
    headCountKv: 2,
    contextLength: 4096,
    ropeFrequencyBase: 10000,
    rmsNormEpsilon: 1e-5,
    attentionBias: false,
    weightType: GgmlType.Q8_0,
    // The 49k-entry vocabulary loads about three times faster than Qwen2's 152k (measured 1.1 s
    // vs ~0.4 s on the 2-core dev box), and tests load the model often.
    vocabulary: smolLm2Vocabulary,
    chatTemplate: SMOLLM2_CHAT_TEMPLATE,
    seed: 1,
  },
  'smollm2-135m-shape-q8_0': { ...smolLm2Shape, description: 'SmolLM2-135M shape, Q8_0', weightType: GgmlType.Q8_0, seed: 135 },
  'smollm2-135m-shape-q4_0': { ...smolLm2Shape, description: 'SmolLM2-135M shape, Q4_0', weightType: GgmlType.Q4_0, seed: 135 },
  'qwen2.5-0.5b-shape-q8_0': { ...qwen25Shape, description: 'Qwen2.5-0.5B shape, Q8_0', weightType: GgmlType.Q8_0, seed: 500 },
  'qwen2.5-0.5b-shape-q4_0': { ...qwen25Shape, description: 'Qwen2.5-0.5B shape, Q4_0', weightType: GgmlType.Q4_0, seed: 500 },
} satisfies Record<string, TestModelSpec>;

export type TestModelName = keyof typeof testModelCatalog;

export function isTestModelName(name: string): name is TestModelName {
  return Object.hasOwn(testModelCatalog, name);
}
