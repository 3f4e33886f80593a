import { GgmlType } from '../gguf/gguf-types.ts';
import { DEEPSEEK_R1_CHAT_TEMPLATE, GPT_OSS_CHAT_TEMPLATE, QWEN25_CHAT_TEMPLATE, QWEN3_CHAT_TEMPLATE, SMOLLM2_CHAT_TEMPLATE } from './chat-templates.ts';
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

/**
 * DeepSeek-R1's control tokens in the places StarCoder keeps its own (as SmolLM2's vocabulary
 * does for ChatML), so the R1 template's `<｜User｜>`/`<｜Assistant｜>` are one token each, as in the
 * real GGUFs, and the model ends its turn with `<｜end▁of▁sentence｜>`.
 */
const deepSeekR1Vocabulary: VocabularySpec = {
  file: 'starcoder',
  renameTokens: { 1: '<｜begin▁of▁sentence｜>', 2: '<｜end▁of▁sentence｜>', 3: '<｜User｜>', 4: '<｜Assistant｜>' },
  endOfSequenceText: '<｜end▁of▁sentence｜>',
  beginningOfSequenceText: '<｜begin▁of▁sentence｜>',
  addBeginningOfSequence: true,
};

/**
 * gpt-oss's harmony tokens in StarCoder's control slots. With `<|return|>`, `<|call|>` and
 * `<|end|>` all present, llama.cpp ends generation at `<|return|>` or `<|call|>` and renders
 * `<|end|>`, `<|start|>`, `<|channel|>` and `<|message|>` in the text, as for the real gpt-oss.
 */
const gptOssVocabulary: VocabularySpec = {
  file: 'starcoder',
  renameTokens: { 1: '<|return|>', 2: '<|start|>', 3: '<|end|>', 4: '<|channel|>', 5: '<|message|>', 6: '<|call|>', 7: '<|constrain|>', 8: '<|startoftext|>' },
  endOfSequenceText: '<|return|>',
  beginningOfSequenceText: '<|startoftext|>',
  addBeginningOfSequence: false,
};

/** The `tiny` shape: 2 blocks of 64, a few MB, loads in milliseconds. */
const tinyShape = {
  architecture: 'llama',
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
} as const;

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
  // Written out key by key: the recipe stored in the file is this object in this order, so
  // reordering it would make every checkout rebuild the model.
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
  // Thinking models for tests: the `tiny` shape with the real Qwen3 and DeepSeek-R1 templates, so
  // the engine sees a thinking template in the GGUF itself. Qwen3's and SmolLM2's ChatML tokens
  // are the same; `<think>` is ordinary text in both vocabularies.
  'tiny-qwen3': {
    ...tinyShape,
    description: "tiny model with Qwen3's chat template (thinks in <think> tags, has enable_thinking), for tests",
    vocabulary: smolLm2Vocabulary,
    chatTemplate: QWEN3_CHAT_TEMPLATE,
    seed: 3,
  },
  'tiny-deepseek-r1': {
    ...tinyShape,
    description: "tiny model with DeepSeek-R1's chat template (opens the think block in the prompt), for tests",
    vocabulary: deepSeekR1Vocabulary,
    chatTemplate: DEEPSEEK_R1_CHAT_TEMPLATE,
    seed: 4,
  },
  'tiny-gpt-oss': {
    ...tinyShape,
    description: "tiny model with gpt-oss's chat template and harmony tokens (thinks in the analysis channel), for tests",
    vocabulary: gptOssVocabulary,
    chatTemplate: GPT_OSS_CHAT_TEMPLATE,
    seed: 5,
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
