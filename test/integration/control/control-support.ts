import { faultSchema, type FaultDriver } from '@gameday/core';
import { PrismaLeaseRepository, type PrismaClient } from '@gameday/db';
import { DockerFaultDriver } from '@gameday/faults';
import { randomUUID } from 'node:crypto';
import { LeaseLedger } from '../../../apps/worker/src/runner/lease-ledger';
import { docker, startTarget as startSupportTarget } from '../../support/targets';

export { docker, removeContainers } from '../../support/targets';

/** A Redis URL nothing listens on: the API behind it sees Redis down (the shared Redis stays up). */
export const REFUSING_REDIS_URL = 'redis://127.0.0.1:1/0';

/** Starts an opted-in HTTP target (busybox httpd); returns its name and URL. */
export const startTarget = (prefix: string) => startSupportTarget(`ctl-${prefix}`);

export const isPaused = async (name: string) => (await docker.getContainer(name).inspect()).State.Paused;

/** The worker's fault driver on the local engine, outside any worker (no reaper, no queue). */
export function testDriver(): Promise<FaultDriver> {
  return DockerFaultDriver.connect(docker, {});
}

/**
 * A run row in `observing` that no executor drives, holding a real pause fault applied through the
 * fault driver (lease written): only the abort job or the reaper can revert it.
 */
export async function undrivenPausedRun(prisma: PrismaClient, gameDayId: string, target: string): Promise<string> {
  const run = await prisma.run.create({
    data: { gameDayId, scheduledFor: new Date(), status: 'observing', spec: {}, gameDayVersion: 1 },
  });
  const driver = await testDriver();
  const spec = faultSchema.parse({ kind: 'container', target: { container: target }, action: 'pause' });
  const resolution = await driver.resolveTargets(spec);
  const prepared = await driver.prepare(spec, resolution.targets[0], {
    expiresAt: new Date(Date.now() + 10 * 60_000),
    graceMs: 5_000,
    runId: run.id,
    experimentIndex: 0,
  });
  // recorded before it is applied, as the worker does
  await new LeaseLedger(new PrismaLeaseRepository(prisma)).apply(driver, prepared);
  return run.id;
}

/**
 * A GameDay whose single experiment pauses `target` for `fault`, probing `url`. Arming has 5 s of
 * its own unless `durations.arming` says otherwise: beside CI's other lanes a pause's arming took
 * over 5 s, and with none reserved it ate a short baseline and the run failed before its fault.
 */
export function pauseGameDay(target: { name: string; url: string }, durations: Record<string, string>) {
  return {
    name: `ctl-${randomUUID()}`,
    timezone: 'UTC',
    schedule: { at: new Date(Date.now() + 60 * 60_000).toISOString() },
    experiments: [
      {
        name: 'pause target',
        hypothesis: {
          description: 'the target fails while paused',
          probes: [{ name: 'target', url: target.url, timeoutMs: 300, interval: '200ms' }],
        },
        fault: { kind: 'container', target: { container: target.name }, action: 'pause' },
        durations: { arming: '5s', ...durations },
      },
    ],
  };
}
