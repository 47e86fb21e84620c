import type { Io } from './cli-context';

export function printJson(io: Io, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** Instants as the API sends them (ISO, UTC), shortened to the second for tables; "-" for none. */
export function shortInstant(value: unknown): string {
  if (typeof value !== 'string' || !value) return '-';
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return value;
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** A plain aligned table: what `kubectl get` users expect, easy to grep and cut. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/**
 * An argv shown to a person: words with shell-special characters single-quoted. Display only:
 * the CLI never runs these.
 */
export function displayArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The next page hint printed under a human listing. */
export function morePages(io: Io, nextCursor: unknown, command: string): void {
  if (typeof nextCursor === 'string' && nextCursor) io.err(`more: ${command} --cursor ${nextCursor}\n`);
}

/** The API's warnings about a spec (never refusals), one per line on stderr, naming the field. */
export function printWarnings(io: Io, warnings: readonly { field: string; message: string }[] | undefined): void {
  for (const w of warnings ?? []) io.err(`warning: ${w.field}: ${w.message}\n`);
}
