/** Summary statistics for benchmark samples. Medians, not means: one preempted run on a shared box should not move the result. */

export interface SampleSummary {
  count: number;
  median: number;
  minimum: number;
  maximum: number;
  /** Half the interquartile range relative to the median: a noise figure that ignores single outliers. */
  relativeSpread: number;
}

function sorted(values: readonly number[]): number[] {
  return [...values].sort((left, right) => left - right);
}

/** Linear-interpolated percentile (0–100), as numpy's default. */
export function percentile(values: readonly number[], rank: number): number {
  if (values.length === 0) return Number.NaN;
  const ordered = sorted(values);
  const position = ((ordered.length - 1) * rank) / 100;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const lowerValue = ordered[lower] as number;
  const upperValue = ordered[upper] as number;
  return lowerValue + (upperValue - lowerValue) * (position - lower);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function summarize(values: readonly number[]): SampleSummary {
  if (values.length === 0) return { count: 0, median: Number.NaN, minimum: Number.NaN, maximum: Number.NaN, relativeSpread: Number.NaN };
  const middle = median(values);
  const interquartileRange = percentile(values, 75) - percentile(values, 25);
  return {
    count: values.length,
    median: middle,
    minimum: Math.min(...values),
    maximum: Math.max(...values),
    relativeSpread: middle === 0 ? 0 : interquartileRange / 2 / middle,
  };
}

/**
 * Median of the per-pair ratios of interleaved samples (A₁/B₁, A₂/B₂, …). Pairing cancels the
 * slow drift of a shared machine's load better than dividing two medians taken over the whole run.
 */
export function pairedRatio(candidate: readonly number[], reference: readonly number[]): SampleSummary {
  const pairs = Math.min(candidate.length, reference.length);
  const ratios: number[] = [];
  for (let index = 0; index < pairs; index++) {
    const referenceValue = reference[index] as number;
    if (referenceValue > 0) ratios.push((candidate[index] as number) / referenceValue);
  }
  return summarize(ratios);
}

export function roundTo(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
