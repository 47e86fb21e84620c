/** An RFC 9457 problem document as the GameDay API sends it (field-level `errors` on 400). */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  errors?: { field?: string; message?: string }[];
}

const STATUS_HINTS: Readonly<Record<number, string>> = {
  401: 'check GAMEDAY_TOKEN or --token',
  403: 'your token’s role is not allowed to do this',
};

/**
 * One readable message for a problem: title and status on the first line, the detail, then one
 * line per invalid field so a person (or a CI log) sees exactly which fields to fix.
 */
export function formatProblem(problem: Problem, status = problem.status ?? 0): string {
  const title = problem.title?.trim() || 'Request failed';
  const lines = [`${title} (HTTP ${status})`];
  if (problem.detail?.trim()) lines.push(problem.detail.trim());
  const errors = Array.isArray(problem.errors) ? problem.errors : [];
  for (const e of errors) {
    lines.push(`  - ${e.field?.trim() ? e.field : '(body)'}: ${e.message?.trim() || 'invalid'}`);
  }
  if (STATUS_HINTS[status]) lines.push(`hint: ${STATUS_HINTS[status]}`);
  return lines.join('\n');
}

/**
 * A problem for a body that is not problem+json (a proxy's HTML page, plain text): the HTTP
 * status and the start of the body, collapsed to one line.
 */
export function problemFromText(status: number, statusText: string, body: string): Problem {
  const text = body
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return {
    title: statusText || 'Request failed',
    status,
    ...(text ? { detail: text.length > 200 ? `${text.slice(0, 200)}…` : text } : {}),
  };
}

/** Whether a parsed JSON body looks like a problem document (and not some other JSON). */
export function isProblem(body: unknown): body is Problem {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const b = body as Record<string, unknown>;
  return typeof b.title === 'string' || typeof b.detail === 'string' || Array.isArray(b.errors);
}
