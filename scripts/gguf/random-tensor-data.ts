import { float32ToFloat16Bits } from './float16.ts';
import { GGML_BLOCK_LAYOUT, GgmlType } from './gguf-types.ts';
import { SeededRandom } from './seeded-random.ts';

/** Elements generated per chunk: big enough to amortise the loop, small enough to stay in cache-ish memory. */
const CHUNK_ELEMENTS = 1 << 20;

/** Standard deviation of a uniform int8 in [-128, 127] and of a Q4_0 nibble minus 8, in [-8, 7]. */
const UNIFORM_INT8_STD = Math.sqrt((256 * 256 - 1) / 12);
const UNIFORM_NIBBLE_STD = Math.sqrt((16 * 16 - 1) / 12);

/**
 * Random weights with roughly the given standard deviation, already in the tensor's on-disk
 * encoding. Quantized blocks are written directly (random quants, one fixed f16 scale chosen so
 * that scale × quant has the wanted spread): no float tensor is ever materialised, which keeps a
 * 0.5B-parameter model to a few seconds. ~0.02 keeps activations finite through 30 layers.
 */
export function* randomTensorChunks(type: GgmlType, elementCount: number, standardDeviation: number, seed: number): Generator<Buffer> {
  const random = new SeededRandom(seed);
  for (let done = 0; done < elementCount; done += CHUNK_ELEMENTS) {
    const count = Math.min(CHUNK_ELEMENTS, elementCount - done);
    yield randomChunk(type, count, standardDeviation, random);
  }
}

function randomChunk(type: GgmlType, elementCount: number, standardDeviation: number, random: SeededRandom): Buffer {
  if (type === GgmlType.F32) {
    // Uniform in [-a, a] has std a/√3.
    const amplitude = standardDeviation * Math.sqrt(3);
    const values = new Float32Array(elementCount);
    for (let index = 0; index < elementCount; index++) values[index] = random.nextSigned() * amplitude;
    return Buffer.from(values.buffer);
  }
  if (type === GgmlType.Q8_0 || type === GgmlType.Q4_0) {
    const { elementsPerBlock, bytesPerBlock } = GGML_BLOCK_LAYOUT[type];
    const blockCount = elementCount / elementsPerBlock;
    const words = new Uint32Array(Math.ceil((blockCount * bytesPerBlock) / 4));
    random.fill(words);
    const bytes = Buffer.from(words.buffer, 0, blockCount * bytesPerBlock);
    const quantStd = type === GgmlType.Q8_0 ? UNIFORM_INT8_STD : UNIFORM_NIBBLE_STD;
    const scaleBits = float32ToFloat16Bits(standardDeviation / quantStd);
    for (let block = 0; block < blockCount; block++) bytes.writeUInt16LE(scaleBits, block * bytesPerBlock);
    return bytes;
  }
  throw new Error(`random data for ${GgmlType[type]} is not implemented`);
}

/** A float tensor of one repeated value: RMS-norm weights of 1 and biases of 0. */
export function* constantFloat32Chunks(elementCount: number, value: number): Generator<Buffer> {
  yield Buffer.from(new Float32Array(elementCount).fill(value).buffer);
}
