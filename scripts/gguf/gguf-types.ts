/**
 * The value and tensor type codes of GGUF v3, as numbered in llama.cpp's `ggml/include/gguf.h`
 * (`enum gguf_type`) and `ggml/include/ggml.h` (`enum ggml_type`). The numbers are the file format,
 * so they must never be renumbered.
 */
export const GGUF_MAGIC = 'GGUF';
export const GGUF_VERSION = 3;
/** `GGUF_DEFAULT_ALIGNMENT`: tensor data offsets are multiples of this unless `general.alignment` says otherwise. */
export const GGUF_DEFAULT_ALIGNMENT = 32;

export enum GgufValueType {
  Uint8 = 0,
  Int8 = 1,
  Uint16 = 2,
  Int16 = 3,
  Uint32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  Uint64 = 10,
  Int64 = 11,
  Float64 = 12,
}

export type GgufScalarType = Exclude<GgufValueType, GgufValueType.Array>;
export type GgufScalar = number | bigint | boolean | string;

/**
 * A metadata value with its exact type kept, so a value read from one file (a vocabulary's token
 * types are int32, its merges are strings) is written back bit for bit the same.
 */
export type GgufTypedValue =
  | { type: GgufScalarType; value: GgufScalar }
  | { type: GgufValueType.Array; itemType: GgufScalarType; items: GgufScalar[] };

export enum GgmlType {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q8_0 = 8,
}

/** Elements per block and bytes per block: Q8_0 is an f16 scale + 32 int8; Q4_0 an f16 scale + 32 nibbles. */
export const GGML_BLOCK_LAYOUT: Record<GgmlType, { elementsPerBlock: number; bytesPerBlock: number }> = {
  [GgmlType.F32]: { elementsPerBlock: 1, bytesPerBlock: 4 },
  [GgmlType.F16]: { elementsPerBlock: 1, bytesPerBlock: 2 },
  [GgmlType.Q4_0]: { elementsPerBlock: 32, bytesPerBlock: 18 },
  [GgmlType.Q8_0]: { elementsPerBlock: 32, bytesPerBlock: 34 },
};

/** `general.file_type` values (`enum llama_ftype`): what the bulk of the weights are quantized to. */
export const LLAMA_FILE_TYPE: Record<GgmlType, number> = {
  [GgmlType.F32]: 0,
  [GgmlType.F16]: 1,
  [GgmlType.Q4_0]: 2,
  [GgmlType.Q8_0]: 7,
};

export function tensorByteSize(type: GgmlType, elementCount: number): number {
  const { elementsPerBlock, bytesPerBlock } = GGML_BLOCK_LAYOUT[type];
  if (elementCount % elementsPerBlock !== 0) {
    throw new Error(`${GgmlType[type]} needs a multiple of ${elementsPerBlock} elements, got ${elementCount}`);
  }
  return (elementCount / elementsPerBlock) * bytesPerBlock;
}
