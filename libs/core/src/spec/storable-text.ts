import { type FieldError, formatPath } from './field-errors';

/**
 * Postgres refuses two things JSON can carry: a lone UTF-16 surrogate ("\ud800") and NUL. Either
 * in any string (or object key) of a request would otherwise surface as a 500 at the INSERT, so
 * the request is refused up front with the field named.
 */
export function unstorableTextErrors(value: unknown, prefix: readonly PropertyKey[] = []): FieldError[] {
  const out: FieldError[] = [];
  walk(value, [...prefix], out, 0);
  return out;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function problemOf(text: string): string | undefined {
  if (LONE_SURROGATE.test(text)) return 'contains a lone UTF-16 surrogate (not valid Unicode text)';
  if (text.includes('\u0000')) return 'contains a NUL character';
  return undefined;
}

// deep enough for any GameDay; deeper input is refused by the schema anyway
const MAX_DEPTH = 64;

function walk(value: unknown, path: PropertyKey[], out: FieldError[], depth: number): void {
  if (out.length >= 50 || depth > MAX_DEPTH) return;
  if (typeof value === 'string') {
    const problem = problemOf(value);
    if (problem) out.push({ field: formatPath(path), message: problem });
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => walk(item, [...path, i], out, depth + 1));
    return;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const keyProblem = problemOf(key);
      if (keyProblem) {
        out.push({ field: formatPath(path), message: `a key ${keyProblem}` });
        continue;
      }
      walk(item, [...path, key], out, depth + 1);
    }
  }
}
