import { stat } from 'node:fs/promises';
import { readGgufFileInfo } from 'node-llama-cpp';

export interface DecodeTraffic {
  fileBytes: number;
  /** Bytes of all tensors in the file. */
  tensorBytes: number;
  /** Weight bytes one decode step must read: every matrix once (the embedding only once, whether or not it is tied to the output). */
  weightBytesPerToken: number;
  /** f16 K and V bytes per cached position, summed over layers. */
  kvCacheBytesPerPosition: number;
}

/**
 * Bytes a single-sequence decode step reads from memory: the weights plus the KV cache up to the
 * current position. Decode of a small model is a matrix-vector product per layer, so each weight
 * byte is read once per token and reused never; that makes memory bandwidth ÷ these bytes the
 * ceiling on tokens per second. Tensor sizes come from the offsets in the GGUF, so every
 * quantization type counts without a table of block sizes.
 */
export async function decodeTraffic(modelPath: string): Promise<DecodeTraffic> {
  const fileBytes = (await stat(modelPath)).size;
  const info = await readGgufFileInfo(modelPath, { readTensorInfo: true });
  // Offsets are bigint only in files over 2^53 bytes, far beyond anything benchmarked here.
  const tensors = (info.fullTensorInfo ?? info.tensorInfo ?? [])
    .map((tensor) => ({ name: tensor.name, dimensions: tensor.dimensions.map(Number), fileOffset: Number(tensor.fileOffset) }))
    .sort((left, right) => left.fileOffset - right.fileOffset);
  const sizes = new Map<string, number>();
  tensors.forEach((tensor, index) => {
    const next = tensors[index + 1];
    sizes.set(tensor.name, (next ? next.fileOffset : fileBytes) - tensor.fileOffset);
  });
  const tensorBytes = [...sizes.values()].reduce((sum, size) => sum + size, 0);
  const embeddingBytes = sizes.get('token_embd.weight') ?? 0;
  const vocabularySize = tensors.find((tensor) => tensor.name === 'token_embd.weight')?.dimensions[1];
  // With a separate output matrix the embedding table is only looked up (one row per token);
  // when tied, the output projection reads the whole table, counted once already.
  const untiedEmbeddingSkipped = sizes.has('output.weight') && vocabularySize ? embeddingBytes - embeddingBytes / vocabularySize : 0;
  const architecture = info.architectureMetadata as {
    block_count?: number;
    embedding_length?: number;
    attention?: { head_count?: number; head_count_kv?: number; key_length?: number; value_length?: number };
  };
  const layers = architecture.block_count ?? 0;
  const heads = architecture.attention?.head_count ?? 1;
  const kvHeads = architecture.attention?.head_count_kv ?? heads;
  const headDimension = architecture.attention?.key_length ?? (architecture.embedding_length ?? 0) / heads;
  const valueDimension = architecture.attention?.value_length ?? headDimension;
  const bytesPerF16 = 2;
  return {
    fileBytes,
    tensorBytes,
    weightBytesPerToken: tensorBytes - untiedEmbeddingSkipped,
    kvCacheBytesPerPosition: layers * kvHeads * (headDimension + valueDimension) * bytesPerF16,
  };
}
