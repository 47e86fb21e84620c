import type Docker from 'dockerode';
import type { PrismaClient } from '@gameday/db';

/**
 * After each case of a fault kind's file. A case that fails half-way leaves its fault armed or
 * applied, and every later case of the file then finds the target under a fault (in CI one timing
 * failure became four). Its helpers are stopped (TERM: each undoes what it holds) and removed, and
 * the file's leases deleted; a case that passed has released its helpers and leaves nothing here.
 */
export async function clearFaults(
  docker: Docker,
  prisma: Pick<PrismaClient, 'activeFault'>,
  engine: string,
  targetIds: readonly string[],
): Promise<void> {
  const helpers = await docker.listContainers({ all: true, filters: { label: ['gameday.role=helper'] } });
  for (const h of helpers.filter((h) => targetIds.includes(h.Labels['gameday.target']))) {
    const c = docker.getContainer(h.Id);
    await c.stop({ t: 10 }).catch(() => undefined);
    await c.remove({ force: true }).catch(() => undefined);
  }
  await prisma.activeFault.deleteMany({ where: { engine } });
}
