/**
 * A horizontal bar chart of anychat ÷ reference, written as SVG by hand so the report needs no
 * plotting dependency. Each bar carries its own target tick, since targets differ by section.
 */

export interface ChartBar {
  group: string;
  label: string;
  value: number;
  target: number | null;
}

const labelWidth = 360;
const barAreaWidth = 420;
const rowHeight = 22;
const groupHeaderHeight = 26;
const margin = 16;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function renderRatioChart(bars: ChartBar[], title: string): string {
  const finiteBars = bars.filter((bar) => Number.isFinite(bar.value));
  const scaleMaximum = Math.max(1.2, ...finiteBars.map((bar) => bar.value * 1.05));
  const x = (value: number): number => labelWidth + (Math.min(value, scaleMaximum) / scaleMaximum) * barAreaWidth;
  const elements: string[] = [];
  let y = margin + 28;
  let currentGroup = '';
  for (const bar of finiteBars) {
    if (bar.group !== currentGroup) {
      currentGroup = bar.group;
      y += 6;
      elements.push(`<text x="${margin}" y="${y + 14}" class="group">${escapeXml(bar.group)}</text>`);
      y += groupHeaderHeight;
    }
    const met = bar.target === null || bar.value >= bar.target;
    elements.push(
      `<text x="${labelWidth - 8}" y="${y + 15}" class="label" text-anchor="end">${escapeXml(bar.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 3}" width="${(x(bar.value) - labelWidth).toFixed(1)}" height="${rowHeight - 6}" class="${met ? 'met' : 'missed'}"/>`,
      `<text x="${(x(bar.value) + 4).toFixed(1)}" y="${y + 15}" class="value">${bar.value.toFixed(3)}</text>`,
    );
    if (bar.target !== null) {
      elements.push(`<line x1="${x(bar.target).toFixed(1)}" x2="${x(bar.target).toFixed(1)}" y1="${y}" y2="${y + rowHeight}" class="target"/>`);
    }
    y += rowHeight;
  }
  const axisY = y + 8;
  const ticks = [0, 0.25, 0.5, 0.75, 1, ...(scaleMaximum > 1.5 ? [1.5] : []), ...(scaleMaximum > 2 ? [2] : [])].filter((tick) => tick <= scaleMaximum);
  for (const tick of ticks) {
    elements.push(
      `<line x1="${x(tick).toFixed(1)}" x2="${x(tick).toFixed(1)}" y1="${margin + 30}" y2="${axisY}" class="${tick === 1 ? 'parity' : 'grid'}"/>`,
      `<text x="${x(tick).toFixed(1)}" y="${axisY + 14}" class="tick" text-anchor="middle">${tick}</text>`,
    );
  }
  const height = axisY + 44;
  const width = labelWidth + barAreaWidth + 70;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    '<style>.group{font-weight:600;font-size:13px}.label{fill:#333}.value{fill:#333;font-size:11px}.tick{fill:#666;font-size:11px}' +
      '.met{fill:#3b82f6}.missed{fill:#f59e0b}.target{stroke:#dc2626;stroke-width:2}.grid{stroke:#e5e7eb}.parity{stroke:#9ca3af;stroke-dasharray:4 3}</style>',
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${margin}" y="${margin + 8}" font-size="15" font-weight="600">${escapeXml(title)}</text>`,
    ...elements,
    `<text x="${margin}" y="${height - 10}" class="tick">Bars: anychat ÷ reference (1 = parity). Red tick: target. Amber: below target.</text>`,
    '</svg>',
    '',
  ].join('\n');
}
