import { percentile } from '@gameday/core';
// Small statistics and reporting helpers for lab measurements.
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('mean of no samples');
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) throw new Error('quantile of no samples');
  return percentile(
    [...xs].sort((a, b) => a - b),
    q * 100,
  )!;
}

export const median = (xs: readonly number[]): number => quantile(xs, 0.5);

/**
 * Mean of the samples left after dropping `fraction` at each end. Latency estimates use it: as
 * efficient as the mean for netem's uniform jitter, yet one TCP retransmission stall or a
 * cold-start request does not move it.
 */
export function trimmedMean(xs: readonly number[], fraction = 0.1): number {
  if (xs.length === 0) throw new Error('trimmed mean of no samples');
  const s = [...xs].sort((a, b) => a - b);
  const k = Math.floor(s.length * fraction);
  return mean(s.slice(k, s.length - k));
}

export const round1 = (x: number): number => Math.round(x * 10) / 10;

export interface FigureRow {
  check: string;
  requested: string;
  expected: string;
  measured: string;
  verdict: 'ok' | 'FAIL';
}

/** Prints measured figures as a table on stdout so CI logs carry the evidence. */
export function printFigures(title: string, rows: readonly FigureRow[]): void {
  const cols: (keyof FigureRow)[] = ['check', 'requested', 'expected', 'measured', 'verdict'];
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(width[i])).join(' | ');
  const out = [
    `\n== ${title} ==`,
    line(cols),
    width.map((w) => '-'.repeat(w)).join('-|-'),
    ...rows.map((r) => line(cols.map((c) => r[c]))),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}
