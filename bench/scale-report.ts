// The scale bench's closing table: each figure beside its baseline, and the 1/2/4-worker curve.

export interface BurstFigures {
  workers: number;
  fired: number;
  p50: number;
  p99: number;
  max: number;
  missing: number;
  duplicates: number;
}

/** Least-squares slope of RSS over minutes. */
export function slopeOf(points: { t: number; mb: number }[]): number {
  if (points.length < 2) return NaN;
  const mt = points.reduce((s, p) => s + p.t, 0) / points.length;
  const mm = points.reduce((s, p) => s + p.mb, 0) / points.length;
  const num = points.reduce((s, p) => s + (p.t - mt) * (p.mb - mm), 0);
  const den = points.reduce((s, p) => s + (p.t - mt) ** 2, 0);
  return den === 0 ? NaN : num / den;
}

export function printTable(f: Record<string, number>, bursts: BurstFigures[]): void {
  const rows: [string, string, string][] = [
    [
      'create (POST /gamedays)',
      `p50 ${f.create_p50_ms} / p99 ${f.create_p99_ms} ms`,
      `${f.create_p99_ratio}× /readyz p99`,
    ],
    ['list, first page of 50', `p99 ${f.list_first_page_p99_ms} ms`, `${f.list_first_page_p99_ratio}× /readyz p99`],
    ['list, name search', `p99 ${f.list_search_p99_ms} ms`, `${f.list_search_p99_ratio}× /readyz p99`],
    ['list, filtered (environment)', `p99 ${f.list_filter_p99_ms} ms`, `${f.list_filter_p99_ratio}× /readyz p99`],
    ['list, every page of 100 by cursor', `${f.list_walk_pages} pages, p99 ${f.list_walk_page_p99_ms} ms`, ''],
    ['baseline GET /readyz', `p50 ${f.baseline_readyz_p50_ms} / p99 ${f.baseline_readyz_p99_ms} ms`, ''],
    ['firing, lone occurrences', `p50 ${f.firing_lone_p50_ms} / max ${f.firing_lone_max_ms} ms`, 'baseline'],
    ...bursts.map((b): [string, string, string] => [
      `firing, ${f.firing_burst} due at once, ${b.workers} worker${b.workers > 1 ? 's' : ''}`,
      `${b.fired} fired; p50 ${b.p50} / p99 ${b.p99} / max ${b.max} ms`,
      `${b.missing} missing, ${b.duplicates} twice`,
    ]),
    [
      `worker RSS over ${f.soak_s} s`,
      `${f.worker_rss_soak_start_mb} → ${f.worker_rss_soak_end_mb} MB (max ${f.worker_rss_soak_max_mb}; at start ${f.worker_rss_start_mb})`,
      `${f.worker_rss_slope_mb_per_min} MB/min`,
    ],
    [
      'Redis used memory',
      `${f.redis_used_memory_start_mb} → ${f.redis_used_memory_after_create_mb} MB after create (max ${f.redis_used_memory_soak_max_mb})`,
      `${f.redis_bytes_per_gameday} B per GameDay`,
    ],
  ];
  console.log(`\n== GameDay at scale: ${f.gamedays} GameDays, one API (${f.took_s} s) ==`);
  for (const [what, measured, ratio] of rows) console.log(`${what.padEnd(40)} ${measured.padEnd(70)} ${ratio}`);
}
