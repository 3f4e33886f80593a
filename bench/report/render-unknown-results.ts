/**
 * A fallback for a results file whose bench has not written its own section yet: the scalar
 * figures, flattened, so nothing measured is invisible in BENCHMARKS.md.
 */
import { markdownTable } from './markdown-format.ts';

function flatten(value: unknown, prefix: string, into: [string, string][], depth: number): void {
  if (into.length >= 40 || depth > 4) return;
  if (typeof value === 'number') into.push([prefix, Number.isInteger(value) ? String(value) : value.toFixed(3)]);
  else if (typeof value === 'string' && value.length <= 80) into.push([prefix, value]);
  else if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) flatten(child, prefix ? `${prefix}.${key}` : key, into, depth + 1);
  }
}

export function renderUnknownResults(name: string, content: unknown): string {
  const figures: [string, string][] = [];
  const results = content && typeof content === 'object' && 'results' in content ? (content as { results: unknown }).results : content;
  flatten(results, '', figures, 0);
  return [
    `## ${name}`,
    '',
    `Figures from \`bench/results/${name}.json\` (no section written by its bench yet; arrays of raw samples left out).`,
    '',
    figures.length > 0 ? markdownTable(['Figure', 'Value'], figures) : '_No scalar figures._',
  ].join('\n');
}
