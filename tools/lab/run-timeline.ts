import type { PrismaClient } from '@gameday/db';

/** A run's status and timeline as lines (actual and planned instants), for a test that gave up waiting on it. */
export async function runTimeline(prisma: PrismaClient, runId: string): Promise<string> {
  const run = await prisma.run.findUnique({
    where: { id: runId },
    include: { events: { orderBy: { id: 'asc' } } },
  });
  if (!run) return `(no run ${runId})`;
  const t = (d: Date | null) => (d ? d.toISOString().slice(11, 23) : '-');
  return [
    `run ${runId} ${run.status} scheduled ${t(run.scheduledFor)} ${run.error ?? ''}`,
    ...run.events.map((e) => `  ${t(e.at)} planned ${t(e.plannedAt)} ${e.type}: ${e.message}`),
  ].join('\n');
}
