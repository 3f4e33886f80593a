const float32View = new Float32Array(1);
const uint32View = new Uint32Array(float32View.buffer);

/**
 * IEEE 754 half-precision bits of `value`, rounded to nearest. Quantized GGUF blocks store their
 * scale as f16; the scales we write are small normal numbers, so subnormals flush to zero.
 */
export function float32ToFloat16Bits(value: number): number {
  float32View[0] = value;
  const bits = uint32View[0] ?? 0;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (exponent <= 0) return sign;
  if (exponent >= 0x1f) return sign | 0x7c00;
  const rounded = (exponent << 10) + ((mantissa + 0x1000) >>> 13);
  return sign | Math.min(rounded, 0x7bff);
}
