import type { z } from 'zod';

export interface FieldError {
  /** JavaScript-style path: experiments[0].fault.netem.delay ("" for the whole document) */
  field: string;
  message: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

type Issue = z.core.$ZodIssue;

/**
 * Every problem, one entry per field. A union reports the branch that came closest (fewest
 * issues), so `{"at": "yesterday"}` says "schedule.at: …" rather than "no branch matched".
 */
function flatten(issues: readonly Issue[], prefix: readonly PropertyKey[], out: FieldError[]): void {
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (
      issue.code === 'invalid_union' &&
      issue.errors.length > 0 &&
      !issue.errors.some((branch) => branch.length === 0)
    ) {
      const best = [...issue.errors].sort((a, b) => rank(a) - rank(b))[0];
      flatten(best, path, out);
      continue;
    }
    // a record key that failed its own schema: say why (zod's own message is "Invalid key in record")
    if (issue.code === 'invalid_key' && issue.issues.length > 0) {
      for (const inner of issue.issues) out.push({ field: formatPath(path), message: inner.message });
      continue;
    }
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ field: formatPath([...path, key]), message: 'unknown field' });
      continue;
    }
    out.push({ field: formatPath(path), message: issue.message });
  }
}

// A branch that failed only on its shape (wrong type at the root) is a worse guess than one that
// got into the details.
function rank(branch: readonly Issue[]): number {
  const rootTypeMiss = branch.some((i) => i.path.length === 0 && i.code === 'invalid_type') ? 1000 : 0;
  const unknownKeys = branch.filter((i) => i.code === 'unrecognized_keys').length * 10;
  return rootTypeMiss + unknownKeys + branch.length;
}

export function fieldErrors(error: z.ZodError, prefix: readonly PropertyKey[] = []): FieldError[] {
  const out: FieldError[] = [];
  flatten(error.issues, prefix, out);
  const seen = new Set<string>();
  return out.filter((e) => {
    const key = `${e.field}\u0000${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
