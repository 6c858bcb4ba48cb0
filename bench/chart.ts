/**
 * One SVG chart of a run of every benchmark, pure: a row per figure, its bar next to the ceiling measured
 * in the same run (grey) and its budget (a line), each row on its own scale (figures of different units
 * side by side). Green within the budget, red outside it, blue without one.
 */
import type { Figure } from './figures';

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A figure as a person reads it: 7300, 0.41, 12.5. */
export function formatValue(v: number): string {
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 10) return (Math.round(v * 10) / 10).toString();
  return (Math.round(v * 100) / 100).toString();
}

const LABEL_W = 250;
const BAR_W = 400;
const VALUE_W = 330;
const ROW_H = 34;
const TOP = 46;

export function renderChart(figures: readonly Figure[], subtitle: string): string {
  const width = LABEL_W + BAR_W + VALUE_W;
  const height = TOP + figures.length * ROW_H + 28;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">npm run bench: each figure, its ceiling in the same run (grey) and its budget (line)</text>`,
    `<text x="10" y="37" fill="#555555">${escapeXml(subtitle)}</text>`,
  ];
  figures.forEach((f, i) => {
    const y = TOP + i * ROW_H;
    const max = Math.max(f.value, f.budget ?? 0, f.ceiling ?? 0) * 1.1 || 1;
    const x = (v: number) => LABEL_W + (Math.max(0, v) / max) * BAR_W;
    const colour = f.ok === undefined ? '#3b6fb6' : f.ok ? '#2e8b3e' : '#c0392b';
    parts.push(`<text x="10" y="${y + 17}">${escapeXml(`${f.bench}: ${f.label}`)}</text>`);
    if (f.ceiling !== undefined) parts.push(`<rect x="${LABEL_W}" y="${y + 3}" width="${(x(f.ceiling) - LABEL_W).toFixed(1)}" height="8" fill="#bbbbbb"><title>ceiling ${formatValue(f.ceiling)} ${escapeXml(f.unit)}</title></rect>`);
    parts.push(`<rect x="${LABEL_W}" y="${y + 12}" width="${Math.max(1, x(f.value) - LABEL_W).toFixed(1)}" height="14" fill="${colour}"><title>${formatValue(f.value)} ${escapeXml(f.unit)}</title></rect>`);
    if (f.budget !== undefined) parts.push(`<line x1="${x(f.budget).toFixed(1)}" x2="${x(f.budget).toFixed(1)}" y1="${y + 1}" y2="${y + 30}" stroke="#222222" stroke-width="2"/>`);
    const notes = [
      `${formatValue(f.value)} ${f.unit}`,
      f.budget !== undefined ? `budget ${f.better === 'higher' ? '≥' : '≤'} ${formatValue(f.budget)}` : '',
      f.ceiling !== undefined ? `ceiling ${formatValue(f.ceiling)}` : '',
    ].filter(Boolean);
    parts.push(`<text x="${LABEL_W + BAR_W + 10}" y="${y + 17}" fill="${colour}">${escapeXml(notes.join(', '))}</text>`);
  });
  if (figures.length === 0) parts.push(`<text x="10" y="${TOP + 17}">no figures: every benchmark failed or printed no JSON line</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
