// EXPLAIN (ANALYZE, BUFFERS) of the GameDay list's queries, written as the repository writes them
// (libs/db gameday.repository.ts: newest first, keyset after the cursor's row, LIMIT page + 1).
import type { Client } from 'pg';

const COLUMNS = '*';
const ORDER = 'ORDER BY "createdAt" DESC, id DESC LIMIT 51';

export interface Plan {
  label: string;
  executionMs: number;
  text: string;
}

/** One plan per list request shape: first page, the page after it, the name search, each filter. */
export async function listPlans(pg: Client, search: string, rare: string): Promise<Plan[]> {
  // the plans of a table autovacuum has analyzed, as in steady state (not of one just filled)
  await pg.query('ANALYZE "GameDay"');
  const first = await pg.query<{ id: string; createdAt: Date }>(
    `SELECT id, "createdAt" FROM "GameDay" ORDER BY "createdAt" DESC, id DESC OFFSET 49 LIMIT 1`,
  );
  const cursor = first.rows[0];
  const shapes: [string, string, unknown[]][] = [
    ['first page', `SELECT ${COLUMNS} FROM "GameDay" ${ORDER}`, []],
    [
      'next page (keyset)',
      `SELECT ${COLUMNS} FROM "GameDay" WHERE "createdAt" <= $1 AND NOT ("createdAt" = $1 AND id >= $2) ${ORDER}`,
      [cursor?.createdAt ?? new Date(0), cursor?.id ?? '00000000-0000-0000-0000-000000000000'],
    ],
    ['name search', `SELECT ${COLUMNS} FROM "GameDay" WHERE name ILIKE ('%' || $1 || '%') ${ORDER}`, [search]],
    // a name few GameDays carry: the trigram index, not a walk of the whole order
    ['rare search', `SELECT ${COLUMNS} FROM "GameDay" WHERE name ILIKE ('%' || $1 || '%') ${ORDER}`, [rare]],
    ['status filter', `SELECT ${COLUMNS} FROM "GameDay" WHERE status = 'active' ${ORDER}`, []],
    ['environment filter', `SELECT ${COLUMNS} FROM "GameDay" WHERE environment = $1 ${ORDER}`, ['staging']],
    ['scheduleKind filter', `SELECT ${COLUMNS} FROM "GameDay" WHERE "scheduleKind" = 'cron' ${ORDER}`, []],
    ['mode filter', `SELECT ${COLUMNS} FROM "GameDay" WHERE mode = 'blind' ${ORDER}`, []],
  ];
  const plans: Plan[] = [];
  for (const [label, sql, params] of shapes) {
    const res = await pg.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
    const text = res.rows.map((r) => r['QUERY PLAN']).join('\n');
    plans.push({ label, executionMs: Number(/Execution Time: ([\d.]+) ms/.exec(text)?.[1] ?? NaN), text });
  }
  return plans;
}

export function printPlans(plans: Plan[]): void {
  for (const p of plans) {
    console.log(`\n-- EXPLAIN (ANALYZE, BUFFERS): ${p.label}`);
    console.log(p.text.replace(/^/gm, '   '));
  }
}
