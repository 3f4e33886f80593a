import { constantFloat32Chunks, randomTensorChunks } from '../gguf/random-tensor-data.ts';
import { GgmlType } from '../gguf/gguf-types.ts';
import type { GgufTensor } from '../gguf/gguf-writer.ts';
import type { TestModelSpec } from './test-model-catalog.ts';

/** Spread of the random weights: small enough that 30 layers of residual sums stay finite. */
const WEIGHT_STANDARD_DEVIATION = 0.02;

/**
 * The tensors llama.cpp's `llama` and `qwen2` loaders ask for (src/models/llama.cpp, qwen2.cpp),
 * named and shaped as they expect. No `output.weight`: like SmolLM2 and Qwen2.5-0.5B, the output
 * projection is tied to the token embedding.
 */
export function modelTensors(spec: TestModelSpec, vocabularySize: number): GgufTensor[] {
  const embedding = spec.embeddingLength;
  const keyValueWidth = (embedding / spec.headCount) * spec.headCountKv;
  const tensors: GgufTensor[] = [];
  const weight = (name: string, dimensions: number[]): void => {
    const seed = spec.seed * 1_000_003 + tensors.length + 1;
    const elementCount = dimensions.reduce((product, dimension) => product * dimension, 1);
    tensors.push({
      name,
      dimensions,
      type: spec.weightType,
      data: () => randomTensorChunks(spec.weightType, elementCount, WEIGHT_STANDARD_DEVIATION, seed),
    });
  };
  const bias = (name: string, length: number): void => {
    const seed = spec.seed * 1_000_003 + tensors.length + 1;
    tensors.push({ name, dimensions: [length], type: GgmlType.F32, data: () => randomTensorChunks(GgmlType.F32, length, WEIGHT_STANDARD_DEVIATION, seed) });
  };
  const norm = (name: string): void => {
    tensors.push({ name, dimensions: [embedding], type: GgmlType.F32, data: () => constantFloat32Chunks(embedding, 1) });
  };

  weight('token_embd.weight', [embedding, vocabularySize]);
  norm('output_norm.weight');
  for (let block = 0; block < spec.blockCount; block++) {
    const prefix = `blk.${block}`;
    norm(`${prefix}.attn_norm.weight`);
    weight(`${prefix}.attn_q.weight`, [embedding, embedding]);
    weight(`${prefix}.attn_k.weight`, [embedding, keyValueWidth]);
    weight(`${prefix}.attn_v.weight`, [embedding, keyValueWidth]);
    if (spec.attentionBias) {
      bias(`${prefix}.attn_q.bias`, embedding);
      bias(`${prefix}.attn_k.bias`, keyValueWidth);
      bias(`${prefix}.attn_v.bias`, keyValueWidth);
    }
    weight(`${prefix}.attn_output.weight`, [embedding, embedding]);
    norm(`${prefix}.ffn_norm.weight`);
    weight(`${prefix}.ffn_gate.weight`, [embedding, spec.feedForwardLength]);
    weight(`${prefix}.ffn_up.weight`, [embedding, spec.feedForwardLength]);
    weight(`${prefix}.ffn_down.weight`, [spec.feedForwardLength, embedding]);
  }
  return tensors;
}
