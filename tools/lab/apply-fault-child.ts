// A stand-in for a worker that applies a network fault through the sidecar strategy and is then
// SIGKILLed. Run as `node -r @swc-node/register apply-fault-child.ts '<json>'`; prints one JSON
// line once the fault is applied, then idles until it is killed.
import Docker from 'dockerode';
import { InMemoryLeaseRepository, networkFaultSchema } from '@gameday/core/faults';
import { DockerFaultDriver } from '@gameday/faults';
import { LeaseLedger } from '../../apps/worker/src/runner/lease-ledger';

export interface ApplyChildInput {
  host: string;
  port: number;
  helperImage: string;
  container: string;
  netem: Record<string, unknown>;
  /** The lease's lifetime, counted from the moment the helper is armed (just before apply). */
  ttlMs: number;
  graceMs: number;
}

export interface ApplyChildOutput {
  leaseId: string;
  helperContainerId: string;
  handle: string;
  injectedAt: string;
  expiresAt: string;
  selfExpiryAt: string;
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2]) as ApplyChildInput;
  const docker = new Docker({ host: input.host, port: input.port, protocol: 'http' });
  const ledger = new LeaseLedger(new InMemoryLeaseRepository());
  const driver = new DockerFaultDriver(docker, {
    helperImage: input.helperImage,
    engine: `tcp://${input.host}:${input.port}`,
  });
  const spec = networkFaultSchema.parse({
    kind: 'network',
    target: { container: input.container },
    netem: input.netem,
  });
  const { targets } = await driver.resolveTargets(spec);
  if (targets.length !== 1) throw new Error(`expected one target named ${input.container}, got ${targets.length}`);
  // prepare() (helper start, kernel probe) takes seconds on a loaded host: count the lifetime
  // from after it, by pushing the prepared expiry out before apply arms the helper's timer.
  const prepared = await driver.prepare(spec, targets[0], {
    expiresAt: new Date(Date.now() + 600_000),
    graceMs: input.graceMs,
  });
  const expiresAt = new Date(Date.now() + input.ttlMs);
  const lease = await ledger.apply(driver, { ...prepared, expiresAt });
  const out: ApplyChildOutput = {
    leaseId: lease.id,
    helperContainerId: lease.helperContainerId!,
    handle: lease.handle!,
    injectedAt: (lease.injectedAt ?? new Date()).toISOString(),
    expiresAt: expiresAt.toISOString(),
    selfExpiryAt: new Date(expiresAt.getTime() + input.graceMs).toISOString(),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  setInterval(() => undefined, 60_000); // stay alive like a worker until killed
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
