/** Small formatters shared by the section renderers, so every table rounds and labels alike. */

export function markdownTable(headers: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export function fixed(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

export function spread(relative: number | null | undefined): string {
  return relative === null || relative === undefined || !Number.isFinite(relative) ? '' : ` ±${(relative * 100).toFixed(1)}%`;
}

export function percentOf(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : `${(value * 100).toFixed(0)}%`;
}

export function verdict(met: boolean | null): string {
  if (met === null) return 'not measured';
  return met ? '✅ met' : '❌ missed';
}

/** Past this relative spread a ratio cannot tell a few percent apart, so its verdict is marked as noisy. */
export const NOISY_SPREAD = 0.1;

export function verdictWithNoise(met: boolean, relativeSpread: number): string {
  return `${verdict(met)}${Number.isFinite(relativeSpread) && relativeSpread > NOISY_SPREAD ? ' (noisy)' : ''}`;
}

export function gibibytes(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(0)} GiB`;
}

export function mebibytes(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
}
