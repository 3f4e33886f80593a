import { open, rename, rm } from 'node:fs/promises';
import {
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_VERSION,
  GgufValueType,
  tensorByteSize,
  type GgmlType,
  type GgufScalar,
  type GgufScalarType,
  type GgufTypedValue,
} from './gguf-types.ts';

export interface GgufTensor {
  name: string;
  /** ggml order: the first dimension is the contiguous one (columns of a weight matrix). */
  dimensions: number[];
  type: GgmlType;
  /** The tensor's bytes in its on-disk encoding, in order, possibly in several chunks. */
  data: () => Iterable<Buffer>;
}

/**
 * Writes a GGUF v3 file: header, metadata, tensor infos, then each tensor's data at an offset
 * aligned to `GGUF_DEFAULT_ALIGNMENT` (the layout `ggml/src/gguf.cpp` reads). It writes to a
 * temporary file and renames it at the end, so an interrupted run never leaves a file that looks
 * finished.
 */
export async function writeGgufFile(path: string, metadata: Map<string, GgufTypedValue>, tensors: GgufTensor[]): Promise<void> {
  const header = encodeHeader(metadata, tensors);
  const temporaryPath = `${path}.${process.pid}.tmp`;
  const file = await open(temporaryPath, 'w');
  try {
    let position = 0;
    const write = async (bytes: Buffer): Promise<void> => {
      await file.write(bytes, 0, bytes.length, position);
      position += bytes.length;
    };
    await write(header);
    await write(Buffer.alloc(padding(position)));
    for (const tensor of tensors) {
      const expected = tensorByteSize(tensor.type, elementCountOf(tensor));
      let written = 0;
      for (const chunk of tensor.data()) {
        await write(chunk);
        written += chunk.length;
      }
      if (written !== expected) throw new Error(`tensor ${tensor.name}: wrote ${written} bytes, its shape needs ${expected}`);
      await write(Buffer.alloc(padding(position)));
    }
    await file.close();
    await rename(temporaryPath, path);
  } catch (error) {
    await file.close().catch(() => {});
    await rm(temporaryPath, { force: true });
    throw error;
  }
}

function elementCountOf(tensor: GgufTensor): number {
  return tensor.dimensions.reduce((product, dimension) => product * dimension, 1);
}

function padding(position: number): number {
  return (GGUF_DEFAULT_ALIGNMENT - (position % GGUF_DEFAULT_ALIGNMENT)) % GGUF_DEFAULT_ALIGNMENT;
}

function encodeHeader(metadata: Map<string, GgufTypedValue>, tensors: GgufTensor[]): Buffer {
  const parts: Buffer[] = [Buffer.from(GGUF_MAGIC, 'latin1'), uint32(GGUF_VERSION), uint64(tensors.length), uint64(metadata.size)];
  for (const [key, value] of metadata) {
    parts.push(string(key), uint32(value.type));
    if (value.type === GgufValueType.Array) {
      parts.push(uint32(value.itemType), uint64(value.items.length));
      for (const item of value.items) parts.push(scalar(value.itemType, item));
    } else {
      parts.push(scalar(value.type, value.value));
    }
  }
  let offset = 0;
  for (const tensor of tensors) {
    parts.push(string(tensor.name), uint32(tensor.dimensions.length));
    for (const dimension of tensor.dimensions) parts.push(uint64(dimension));
    parts.push(uint32(tensor.type), uint64(offset));
    const size = tensorByteSize(tensor.type, elementCountOf(tensor));
    offset += size + padding(size);
  }
  return Buffer.concat(parts);
}

function uint32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value);
  return buffer;
}

function uint64(value: number | bigint): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64LE(BigInt(value));
  return buffer;
}

function string(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  return Buffer.concat([uint64(bytes.length), bytes]);
}

function scalar(type: GgufScalarType, value: GgufScalar): Buffer {
  const buffer = Buffer.alloc(8);
  switch (type) {
    case GgufValueType.Uint8:
      return buffer.subarray(0, buffer.writeUInt8(Number(value)));
    case GgufValueType.Int8:
      return buffer.subarray(0, buffer.writeInt8(Number(value)));
    case GgufValueType.Uint16:
      return buffer.subarray(0, buffer.writeUInt16LE(Number(value)));
    case GgufValueType.Int16:
      return buffer.subarray(0, buffer.writeInt16LE(Number(value)));
    case GgufValueType.Uint32:
      return buffer.subarray(0, buffer.writeUInt32LE(Number(value)));
    case GgufValueType.Int32:
      return buffer.subarray(0, buffer.writeInt32LE(Number(value)));
    case GgufValueType.Float32:
      return buffer.subarray(0, buffer.writeFloatLE(Number(value)));
    case GgufValueType.Bool:
      return buffer.subarray(0, buffer.writeUInt8(value ? 1 : 0));
    case GgufValueType.String:
      return string(String(value));
    case GgufValueType.Uint64:
      return buffer.subarray(0, buffer.writeBigUInt64LE(BigInt(value)));
    case GgufValueType.Int64:
      return buffer.subarray(0, buffer.writeBigInt64LE(BigInt(value)));
    case GgufValueType.Float64:
      return buffer.subarray(0, buffer.writeDoubleLE(Number(value)));
  }
}
