import { z } from 'zod';
import { durationSchema } from '../../units/duration';
import { gameDaySpecSchema, type GameDaySpecInput } from '../gameday.schema';
import { httpUrlSchema, instantSchema } from '../primitives.schema';

/**
 * A GameDay template: a GameDay spec (`body`) in which some JSON values are placeholders
 * `{"$param": "NAME"}`, and the parameters those name (type, default, description). Instantiating
 * replaces each placeholder by the parameter's typed value, as a value: never by splicing text, so
 * a value cannot reach outside its field (a `"` or `}` stays characters of a string). The result is
 * validated with the real spec schema, and an issue inside a substituted value names its parameter.
 */

export const TEMPLATE_PARAMETER_TYPES = ['string', 'integer', 'number', 'duration', 'url', 'instant'] as const;
export type TemplateParameterType = (typeof TEMPLATE_PARAMETER_TYPES)[number];
export type TemplateValue = string | number;

const PARAM_NAME = /^[a-z][A-Za-z0-9]{0,39}$/;

export const templateParameterSchema = z.strictObject({
  name: z.string().regex(PARAM_NAME, 'a parameter name is camelCase letters and digits, e.g. "probeUrl"'),
  description: z.string().min(1).max(300),
  type: z.enum(TEMPLATE_PARAMETER_TYPES),
  default: z.union([z.string().max(2048), z.number()]).optional(),
  /** the only values allowed, when the spec allows a few */
  choices: z
    .array(z.union([z.string(), z.number()]))
    .min(1)
    .max(20)
    .optional(),
});

export const gameDayTemplateSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'a template name is kebab-case'),
  title: z.string().min(1).max(120),
  /** one line for `gameday new --list` and the web UI's choice */
  description: z.string().min(1).max(300),
  parameters: z.array(templateParameterSchema).max(30),
  body: z.record(z.string(), z.unknown()),
});

export type TemplateParameter = z.infer<typeof templateParameterSchema>;
export type GameDayTemplate = z.infer<typeof gameDayTemplateSchema>;

/** One problem, naming the parameter it is about when there is one. */
export interface TemplateProblem {
  parameter?: string;
  message: string;
}

export class TemplateError extends Error {
  constructor(readonly problems: TemplateProblem[]) {
    super(problems.map((p) => (p.parameter ? `${p.parameter}: ${p.message}` : p.message)).join('; '));
    this.name = 'TemplateError';
  }
}

type JsonPath = (string | number)[];

function placeholderName(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  const name = (value as Record<string, unknown>).$param;
  return keys.length === 1 && keys[0] === '$param' && typeof name === 'string' ? name : undefined;
}

/** Every placeholder of a body with where it sits. */
function placeholders(value: unknown, path: JsonPath = [], found: { name: string; path: JsonPath }[] = []) {
  const name = placeholderName(value);
  if (name !== undefined) found.push({ name, path });
  else if (Array.isArray(value)) value.forEach((v, i) => placeholders(v, [...path, i], found));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) placeholders(v, [...path, k], found);
  return found;
}

/**
 * Reads a template file's JSON: its shape, unique parameter names, every placeholder declared and
 * every parameter used, choices that hold the default. A catalogue error is a bug of ours: thrown.
 */
export function loadTemplate(raw: unknown): GameDayTemplate {
  const parsed = gameDayTemplateSchema.safeParse(raw);
  const label = (raw as { name?: unknown })?.name;
  if (!parsed.success)
    throw new Error(
      `template ${String(label)}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const t = parsed.data;
  const declared = new Set<string>();
  for (const p of t.parameters) {
    if (declared.has(p.name)) throw new Error(`template ${t.name}: parameter "${p.name}" is declared twice`);
    declared.add(p.name);
    if (p.default !== undefined) {
      const problem = valueProblem(p, p.default);
      if (problem) throw new Error(`template ${t.name}: parameter "${p.name}" default: ${problem}`);
    }
  }
  const used = new Set(placeholders(t.body).map((p) => p.name));
  for (const name of used)
    if (!declared.has(name)) throw new Error(`template ${t.name}: placeholder "${name}" is not a declared parameter`);
  for (const name of declared)
    if (!used.has(name)) throw new Error(`template ${t.name}: parameter "${name}" is never used in the body`);
  return t;
}

// the parameter's own type first; what the spec thinks of the value is checked after substitution
const TYPE_CHECKS: Record<TemplateParameterType, (v: TemplateValue) => string | undefined> = {
  string: (v) => (typeof v === 'string' ? undefined : 'must be a string'),
  integer: (v) => (typeof v === 'number' && Number.isSafeInteger(v) ? undefined : 'must be a whole number'),
  number: (v) => (typeof v === 'number' && Number.isFinite(v) ? undefined : 'must be a number'),
  duration: (v) => schemaProblem(durationSchema(), v, 'must be a duration such as "500ms"'),
  url: (v) => schemaProblem(httpUrlSchema, v, 'must be an http(s) URL'),
  instant: (v) => schemaProblem(instantSchema, v, 'must be an ISO 8601 instant'),
};

function schemaProblem(schema: z.ZodType, v: TemplateValue, fallback: string): string | undefined {
  if (typeof v !== 'string') return fallback;
  const r = schema.safeParse(v);
  return r.success ? undefined : (r.error.issues[0]?.message ?? fallback);
}

function valueProblem(p: TemplateParameter, value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return `must be a ${p.type}`;
  const problem = TYPE_CHECKS[p.type](value);
  if (problem) return problem;
  if (p.choices && !p.choices.includes(value)) return `must be one of ${p.choices.join(', ')}`;
  return undefined;
}

/** A value typed on a command line (`--set port=5432`), read by the parameter's type. */
export function parseTemplateValue(p: TemplateParameter, text: string): TemplateValue {
  if (p.type === 'integer' || p.type === 'number') {
    const n = Number(text);
    const shape = p.type === 'integer' ? /^-?\d+$/ : /^-?(\d+\.?\d*|\.\d+)$/;
    if (!shape.test(text.trim()) || !Number.isFinite(n))
      throw new TemplateError([
        { parameter: p.name, message: `"${text}" is not a ${p.type === 'integer' ? 'whole number' : 'number'}` },
      ]);
    return n;
  }
  return text;
}

/** The parameters' values: defaults, overridden by `values`; unknown names and bad values refused. */
export function resolveTemplateValues(
  template: GameDayTemplate,
  values: Readonly<Record<string, unknown>> = {},
): Record<string, TemplateValue> {
  const problems: TemplateProblem[] = [];
  const known = new Map(template.parameters.map((p) => [p.name, p]));
  for (const name of Object.keys(values))
    if (!known.has(name))
      problems.push({
        parameter: name,
        message: `template ${template.name} has no parameter "${name}" (it has: ${[...known.keys()].join(', ')})`,
      });
  const resolved: Record<string, TemplateValue> = Object.create(null) as Record<string, TemplateValue>;
  for (const p of template.parameters) {
    const value = Object.hasOwn(values, p.name) ? values[p.name] : p.default;
    if (value === undefined) {
      problems.push({ parameter: p.name, message: 'required (it has no default)' });
      continue;
    }
    const problem = valueProblem(p, value);
    if (problem) problems.push({ parameter: p.name, message: problem });
    else resolved[p.name] = value as TemplateValue;
  }
  if (problems.length > 0) throw new TemplateError(problems);
  return resolved;
}

function substitute(value: unknown, values: Record<string, TemplateValue>): unknown {
  const name = placeholderName(value);
  if (name !== undefined) return values[name];
  if (Array.isArray(value)) return value.map((v) => substitute(v, values));
  if (value !== null && typeof value === 'object')
    // fromEntries defines own properties: a "__proto__" key stays data, never a prototype
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, values)]));
  return value;
}

const startsWith = (path: JsonPath, prefix: JsonPath) => prefix.every((k, i) => path[i] === k);

/**
 * The GameDay the template describes with these values (defaults for the rest), as the spec's
 * input (defaults the schema adds stay out, so it reads like the template). Throws TemplateError.
 */
export function instantiateTemplate(
  template: GameDayTemplate,
  values: Readonly<Record<string, unknown>> = {},
): GameDaySpecInput {
  const resolved = resolveTemplateValues(template, values);
  const spec = substitute(template.body, resolved);
  const checked = gameDaySpecSchema.safeParse(spec);
  if (!checked.success) {
    const spots = placeholders(template.body);
    throw new TemplateError(
      checked.error.issues.map((issue) => {
        const path = issue.path as JsonPath;
        // the value it sits in, or (an issue about a whole object) a value inside it
        const spot =
          spots.find((s) => startsWith(path, s.path)) ??
          (path.length > 0 ? spots.find((s) => startsWith(s.path, path)) : undefined);
        const where = path.join('.');
        return spot
          ? { parameter: spot.name, message: `${issue.message} (at ${where})` }
          : { message: `${where || 'spec'}: ${issue.message}` };
      }),
    );
  }
  return spec as GameDaySpecInput;
}

/** What a listing shows of a template: no body. */
export interface TemplateSummary {
  name: string;
  title: string;
  description: string;
  kinds: string[];
  parameters: TemplateParameter[];
}

export function describeTemplate(template: GameDayTemplate): TemplateSummary {
  type Fault = { kind?: unknown };
  const experiments = (template.body.experiments ?? []) as { fault?: Fault; steps?: { fault?: Fault }[] }[];
  // a gate step has no fault
  const faults = experiments.flatMap((e) => (e.steps ? e.steps.flatMap((s) => (s.fault ? [s.fault] : [])) : [e.fault]));
  const kinds = [...new Set(faults.map((f) => String(f?.kind)))];
  return {
    name: template.name,
    title: template.title,
    description: template.description,
    kinds,
    parameters: template.parameters,
  };
}
