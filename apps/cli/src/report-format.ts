import { extname } from 'node:path';
import { CliError } from './cli-error';

export type ReportFormat = 'html' | 'markdown' | 'junit' | 'json';

export const ACCEPT: Readonly<Record<ReportFormat, string>> = {
  html: 'text/html',
  markdown: 'text/markdown',
  junit: 'application/xml',
  json: 'application/json',
};

const NAMES: Readonly<Record<string, ReportFormat>> = {
  html: 'html',
  markdown: 'markdown',
  md: 'markdown',
  junit: 'junit',
  xml: 'junit',
  json: 'json',
};

const EXTENSIONS: Readonly<Record<string, ReportFormat>> = {
  '.html': 'html',
  '.htm': 'html',
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.xml': 'junit',
  '.json': 'json',
};

/**
 * The report format: --format wins, else the output file's extension (.html/.htm, .md/.markdown,
 * .xml for JUnit, .json), else Markdown on stdout (readable in a terminal and in CI logs).
 */
export function reportFormatFor(file: string | undefined, format: string | undefined): ReportFormat {
  if (format !== undefined) {
    const f = NAMES[format.toLowerCase()];
    if (f) return f;
    throw new CliError(`--format: "${format}" is not html, markdown, junit or json`);
  }
  if (!file || file === '-') return 'markdown';
  const ext = extname(file).toLowerCase();
  const f = EXTENSIONS[ext];
  if (f) return f;
  throw new CliError(
    `-o ${file}: cannot tell the format from "${ext || 'no extension'}"; use .html, .md, .xml (JUnit) or .json, or --format`,
  );
}

/** Formats made for pipelines: their exit code follows the run's verdict, as `watch`'s does. */
export const GATING_FORMATS: ReadonlySet<ReportFormat> = new Set<ReportFormat>(['junit', 'json']);
