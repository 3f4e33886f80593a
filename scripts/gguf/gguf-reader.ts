import { open } from 'node:fs/promises';
import { GGUF_MAGIC, GgufValueType, type GgufScalar, type GgufScalarType, type GgufTypedValue } from './gguf-types.ts';

export interface GgufHeader {
  version: number;
  tensorCount: bigint;
  metadata: Map<string, GgufTypedValue>;
}

/** Thrown for anything that is not a readable GGUF v2/v3 header, with the reason in the message. */
export class GgufFormatError extends Error {
  override readonly name = 'GgufFormatError';
}

/**
 * Reads the header and every metadata key/value pair of a GGUF file (not the tensors). Vocabulary
 * files hold a few megabytes of token strings, so the header is read whole into memory; a cap
 * keeps a corrupt length field from asking for gigabytes.
 */
export async function readGgufHeader(path: string, maxHeaderBytes = 64 * 1024 * 1024): Promise<GgufHeader> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const buffer = Buffer.alloc(Math.min(size, maxHeaderBytes));
    await file.read(buffer, 0, buffer.length, 0);
    return parseGgufHeader(buffer);
  } finally {
    await file.close();
  }
}

export function parseGgufHeader(buffer: Buffer): GgufHeader {
  const cursor = new ByteCursor(buffer);
  const magic = cursor.bytes(4).toString('latin1');
  if (magic !== GGUF_MAGIC) throw new GgufFormatError(`not a GGUF file: magic is ${JSON.stringify(magic)}, expected "GGUF"`);
  const version = cursor.uint32();
  if (version !== 2 && version !== 3) throw new GgufFormatError(`unsupported GGUF version ${version}`);
  const tensorCount = cursor.uint64();
  const keyValueCount = cursor.uint64();
  const metadata = new Map<string, GgufTypedValue>();
  for (let index = 0n; index < keyValueCount; index++) {
    const key = cursor.string();
    const type = cursor.uint32() as GgufValueType;
    if (type === GgufValueType.Array) {
      const itemType = cursor.uint32() as GgufScalarType;
      const count = Number(cursor.uint64());
      const items: GgufScalar[] = [];
      for (let item = 0; item < count; item++) items.push(cursor.scalar(itemType));
      metadata.set(key, { type, itemType, items });
    } else {
      metadata.set(key, { type, value: cursor.scalar(type) });
    }
  }
  return { version, tensorCount, metadata };
}

class ByteCursor {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}

  private need(length: number): number {
    const start = this.offset;
    if (start + length > this.buffer.length) {
      throw new GgufFormatError(`GGUF header is truncated or corrupt: needed ${length} bytes at offset ${start}`);
    }
    this.offset += length;
    return start;
  }

  bytes(length: number): Buffer {
    const start = this.need(length);
    return this.buffer.subarray(start, start + length);
  }
  uint32(): number {
    return this.buffer.readUInt32LE(this.need(4));
  }
  uint64(): bigint {
    return this.buffer.readBigUInt64LE(this.need(8));
  }
  string(): string {
    return this.bytes(Number(this.uint64())).toString('utf8');
  }

  scalar(type: GgufScalarType): GgufScalar {
    switch (type) {
      case GgufValueType.Uint8:
        return this.buffer.readUInt8(this.need(1));
      case GgufValueType.Int8:
        return this.buffer.readInt8(this.need(1));
      case GgufValueType.Uint16:
        return this.buffer.readUInt16LE(this.need(2));
      case GgufValueType.Int16:
        return this.buffer.readInt16LE(this.need(2));
      case GgufValueType.Uint32:
        return this.buffer.readUInt32LE(this.need(4));
      case GgufValueType.Int32:
        return this.buffer.readInt32LE(this.need(4));
      case GgufValueType.Float32:
        return this.buffer.readFloatLE(this.need(4));
      case GgufValueType.Bool:
        return this.buffer.readUInt8(this.need(1)) !== 0;
      case GgufValueType.String:
        return this.string();
      case GgufValueType.Uint64:
        return this.buffer.readBigUInt64LE(this.need(8));
      case GgufValueType.Int64:
        return this.buffer.readBigInt64LE(this.need(8));
      case GgufValueType.Float64:
        return this.buffer.readDoubleLE(this.need(8));
      default:
        throw new GgufFormatError(`unknown GGUF value type ${String(type)}`);
    }
  }
}
