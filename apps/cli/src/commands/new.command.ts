import { writeFile } from 'node:fs/promises';
import {
  TemplateError,
  findTemplate,
  instantiateTemplate,
  listTemplates,
  parseTemplateValue,
  type TemplateSummary,
  type TemplateValue,
} from '@gameday/core/spec/templates';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { act } from '../cli-action';
import { CliError } from '../cli-error';
import { processIo, type Io, type OutputFormat } from '../cli-context';
import { EXIT } from '../exit-codes';
import { printJson } from '../output';
import { specFormatOf } from '../spec-file';

export interface NewOptions {
  template?: string;
  set?: string[];
  list?: boolean;
  out?: string;
  force?: boolean;
}

/** `--set k=v` → the template's typed values (numbers for numeric parameters); unknown keys pass on to be named. */
export function parseSets(templateName: string, sets: readonly string[]): Record<string, TemplateValue> {
  const template = findTemplate(templateName);
  const params = new Map(template?.parameters.map((p) => [p.name, p]));
  const values: Record<string, TemplateValue> = Object.create(null) as Record<string, TemplateValue>;
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq <= 0) throw new CliError(`--set ${set}: expected KEY=VALUE (e.g. --set delay=200ms)`);
    const key = set.slice(0, eq);
    const text = set.slice(eq + 1);
    const param = params.get(key);
    values[key] = param ? parseTemplateValue(param, text) : text;
  }
  return values;
}

/** The instantiated GameDay as text: JSON for a `.json` file (or `--output json`), YAML otherwise. */
export function renderSpec(spec: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(spec, null, 2)}\n` : stringify(spec, { lineWidth: 0 });
}

export function formatTemplateList(templates: readonly TemplateSummary[]): string {
  return templates
    .map((t) => {
      const params = t.parameters.map((p) => {
        const value = p.default === undefined ? '(required)' : `=${String(p.default)}`;
        const choices = p.choices ? ` [${p.choices.join('|')}]` : '';
        return `    ${p.name}${value}  ${p.type}${choices}: ${p.description}\n`;
      });
      return `${t.name} (${t.kinds.join(', ')})\n  ${t.description}\n${params.join('')}`;
    })
    .join('\n');
}

/** What `gameday new` does, apart from commander: returns the exit code. */
export async function runNew(opts: NewOptions, output: OutputFormat, io: Io = processIo): Promise<number> {
  if (opts.list) {
    if (output === 'json') printJson(io, listTemplates());
    else io.out(formatTemplateList(listTemplates()));
    return EXIT.ok;
  }
  if (!opts.template) throw new CliError('name a template (--template NAME) or list them (--list)');
  const template = findTemplate(opts.template);
  if (!template)
    throw new CliError(
      `no template "${opts.template}" (there are: ${listTemplates()
        .map((t) => t.name)
        .join(', ')})`,
    );
  let spec: unknown;
  try {
    spec = instantiateTemplate(template, parseSets(template.name, opts.set ?? []));
  } catch (error) {
    if (error instanceof TemplateError)
      throw new CliError(
        `template ${template.name}:\n${error.problems.map((p) => `  - ${p.parameter ? `--set ${p.parameter}: ` : ''}${p.message}`).join('\n')}`,
      );
    throw error;
  }
  if (!opts.out) {
    io.out(renderSpec(spec, output === 'json' ? 'json' : 'yaml'));
    return EXIT.ok;
  }
  try {
    // "wx": an existing file (a GameDay someone edited) is kept unless --force
    await writeFile(opts.out, renderSpec(spec, specFormatOf(opts.out)), { flag: opts.force ? 'w' : 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'EEXIST'
        ? `${opts.out} exists: choose another file or pass --force`
        : `cannot write ${opts.out}: ${code ?? (error as Error).message}`,
    );
  }
  io.err(`wrote ${opts.out} (template ${template.name}); create it with: gameday apply -f ${opts.out}\n`);
  return EXIT.ok;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerNew(program: Command): void {
  program
    .command('new')
    .description(
      'a GameDay from the template catalogue, printed (YAML; JSON with --output json) or written to -o FILE (.json: JSON, else YAML); needs no API',
    )
    .option('-t, --template <name>', 'template to instantiate (see --list)')
    .option('--set <key=value>', 'a template parameter (repeatable)', collect, [])
    .option('-l, --list', 'list the templates with their parameters and defaults')
    .option('-o, --out <file>', 'write the GameDay to this file instead of printing it')
    .option('--force', 'overwrite the -o file if it exists')
    .action(
      act(async (opts: NewOptions, cmd: Command) =>
        runNew(opts, cmd.optsWithGlobals<{ output?: OutputFormat }>().output ?? 'human'),
      ),
    );
}
