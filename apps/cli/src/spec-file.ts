import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CliError } from './cli-error';

export type SpecFormat = 'json' | 'yaml';

/** `.json` is read as JSON (exact error positions); anything else, stdin included, as YAML 1.2. */
export function specFormatOf(path: string): SpecFormat {
  return extname(path).toLowerCase() === '.json' ? 'json' : 'yaml';
}

/**
 * Parses one GameDay from JSON or YAML text. YAML 1.2 (core schema) keeps `2030-01-01T10:00:00Z`
 * and `30s` as strings, as the API expects. The result must be a mapping with a `name`: apply
 * matches existing GameDays by it.
 */
export function parseSpec(text: string, format: SpecFormat, source: string): Record<string, unknown> {
  let value: unknown;
  if (format === 'json') {
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new CliError(`${source}: not valid JSON: ${(error as Error).message}`);
    }
  } else {
    const docs = parseAllDocuments(text, { prettyErrors: true });
    if (!Array.isArray(docs)) throw new CliError(`${source}: empty file`);
    const problems = docs.flatMap((d) => d.errors);
    if (problems.length > 0) {
      throw new CliError(`${source}: not valid YAML:\n${problems.map((p) => `  - ${p.message}`).join('\n')}`);
    }
    const nonEmpty = docs.filter((d) => d.contents !== null);
    if (nonEmpty.length === 0) throw new CliError(`${source}: empty file`);
    if (nonEmpty.length > 1) {
      throw new CliError(`${source}: holds ${nonEmpty.length} YAML documents; apply takes one GameDay per file`);
    }
    value = nonEmpty[0].toJS();
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new CliError(`${source}: a GameDay must be an object (a mapping), not ${describe(value)}`);
  }
  const spec = value as Record<string, unknown>;
  if (typeof spec.name !== 'string' || !spec.name.trim()) {
    throw new CliError(`${source}: name: required (a GameDay is created or updated by its name)`);
  }
  return spec;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}

/** Reads a spec file, or standard input for `-`. */
export async function readSpecFile(
  path: string,
  stdin: () => Promise<string> = readStdin,
): Promise<Record<string, unknown>> {
  if (path === '-') return parseSpec(await stdin(), 'yaml', '(stdin)');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseSpec(text, specFormatOf(path), path);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
