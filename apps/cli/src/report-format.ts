import { extname } from 'node:path';
import { CliError } from './cli-error';

export type ReportFormat = 'html' | 'markdown';

export const ACCEPT: Readonly<Record<ReportFormat, string>> = {
  html: 'text/html',
  markdown: 'text/markdown',
};

/**
 * The report format: --format wins, else the output file's extension (.html/.htm, .md/.markdown),
 * else Markdown on stdout (readable in a terminal and in CI logs).
 */
export function reportFormatFor(file: string | undefined, format: string | undefined): ReportFormat {
  if (format !== undefined) {
    const f = format.toLowerCase();
    if (f === 'html') return 'html';
    if (f === 'markdown' || f === 'md') return 'markdown';
    throw new CliError(`--format: "${format}" is not html or markdown`);
  }
  if (!file || file === '-') return 'markdown';
  const ext = extname(file).toLowerCase();
  if (ext === '.html' || ext === '.htm') return 'html';
  if (ext === '.md' || ext === '.markdown') return 'markdown';
  throw new CliError(
    `-o ${file}: cannot tell the format from "${ext || 'no extension'}"; use .html or .md, or --format`,
  );
}
