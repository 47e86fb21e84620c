import { parser } from '@prometheus-io/lezer-promql';

/**
 * Where a PromQL expression stops being valid syntax, or null when it parses: the grammar is
 * Prometheus's own (the one its web UI uses), so a query refused here would be refused by the
 * server too. Semantics (types, label existence) are the server's to judge at run time.
 */
export function promqlSyntaxError(query: string): string | null {
  if (query.trim() === '') return 'must not be empty';
  let at: number | null = null;
  parser.parse(query).iterate({
    enter: (node) => {
      if (at === null && node.type.isError) at = node.from;
      return at === null;
    },
  });
  if (at === null) return null;
  const pos = at as number;
  const near = query.slice(Math.max(0, pos - 20), pos + 20);
  return `is not valid PromQL: syntax error at character ${pos + 1}${near ? ` (near "${near}")` : ''}`;
}
