// One booted lab engine for the lab files of one test process. Booting the kernel, starting its
// dockerd and loading the target and helper images took 60-75 s per file; files that only need
// "a Docker Engine with netem and iptables" now share one, each removing what it created. The
// guest lives until the test process ends (its watchdog reaps it then; the lab tier's global
// teardown powers it off first). GAMEDAY_LAB_SHARED=0 gives each file a lab of its own again.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { copyImages, type ImageLoad } from './lab-images';
import { processAlive } from './processes';
import { leakedUmlProcesses, SHARED_LAB_PREFIX, sharedLabStateFile } from './uml-process';
import { restartGuestDockerd, startUmlDocker, stopUmlDocker, type UmlDocker, type UmlDockerState } from './uml-docker';

interface SharedLabRecord {
  owner: number;
  state: UmlDockerState;
}

function readRecord(file: string): SharedLabRecord | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SharedLabRecord;
  } catch {
    return undefined;
  }
}

async function answers(state: UmlDockerState): Promise<boolean> {
  try {
    return (await fetch(`http://${state.host}:${state.port}/_ping`, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

/** Powers off shared labs whose test process is gone (a crashed or killed run) and, with `mine`, this process's own. */
export async function stopSharedLabs(opts: { mine?: boolean } = {}): Promise<number> {
  let stopped = 0;
  for (const name of readdirSync(os.tmpdir())) {
    if (!name.startsWith(SHARED_LAB_PREFIX)) continue;
    const file = path.join(os.tmpdir(), name);
    const record = readRecord(file);
    if (record && processAlive(record.owner) && !(opts.mine && record.owner === process.pid)) continue;
    if (record) await stopUmlDocker(record.state);
    rmSync(file, { force: true });
    stopped++;
  }
  return stopped;
}

/**
 * The test process's shared lab engine with `images` loaded, booted on first use. Its `stop()` only
 * releases it (the next file gets it as it is); a caller removes the containers it created.
 */
export async function sharedUmlDocker(images: readonly string[], hostDocker = new Docker()): Promise<UmlDocker> {
  if (process.env.GAMEDAY_LAB_SHARED === '0') return startUmlDocker({ images: [...images], hostDocker });
  const file = sharedLabStateFile(process.pid);
  const record = readRecord(file);
  if (record && processAlive(record.state.pid) && (await answers(record.state))) {
    const docker = new Docker({ host: record.state.host, port: record.state.port, protocol: 'http' });
    const missing: string[] = [];
    for (const image of images)
      if (
        !(await docker
          .getImage(image)
          .inspect()
          .then(
            () => true,
            () => false,
          ))
      )
        missing.push(image);
    const imageLoads: ImageLoad[] = missing.length ? [await copyImages(hostDocker, docker, missing)] : [];
    return attach(record.state, docker, { apiReadyMs: 0, imageLoads });
  }
  // a lab of this process that stopped answering (or one a dead process left) is replaced
  if (record) await stopUmlDocker(record.state);
  await stopSharedLabs();
  const lab = await startUmlDocker({ images: [...images], hostDocker });
  writeFileSync(file, JSON.stringify({ owner: process.pid, state: lab.state } satisfies SharedLabRecord));
  return attach(lab.state, lab.docker, lab.timings, lab.restartDockerd);
}

function attach(
  state: UmlDockerState,
  docker: Docker,
  timings: UmlDocker['timings'],
  restartDockerd?: UmlDocker['restartDockerd'],
): UmlDocker {
  return {
    docker,
    host: state.host,
    port: state.port,
    hostAddress: state.hostAddress,
    tap: state.tap,
    state,
    timings,
    shared: true,
    stop: async () => undefined,
    restartDockerd: restartDockerd ?? ((timeoutMs) => restartGuestDockerd(state, timeoutMs)),
  };
}

/**
 * Removes the containers a file created and lets its lab go: a lab of its own is powered off, the
 * shared one stays for the next file. Returns what was left behind: containers still in the shared
 * engine (a helper the product did not remove, another file's leftovers) or guest processes.
 */
export async function releaseLab(lab: UmlDocker, created: readonly string[]): Promise<string[]> {
  for (const id of created)
    await lab.docker
      .getContainer(id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
  await lab.stop();
  if (!lab.shared) return leakedUmlProcesses().map((pid) => `lab kernel process ${pid}`);
  const left = await lab.docker.listContainers({ all: true });
  // reported by this file, then removed: the lane's next files start from an empty engine instead
  // of each failing its own check on what one failed case left (a CI lane once failed four files so)
  for (const c of left)
    await lab.docker
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
  return left.map((c) => `container ${c.Names.join(',')} (${c.Image}, ${c.State})`);
}

/**
 * Armed helpers whose release has not finished. An attempt cut off by jest's timeout goes on in the
 * background and never reaches its release: a file releases them before its nothing-left check
 * (rehearsals' retries passed, and the check then found the first attempt's helper).
 */
export class UnreleasedHelpers<P> {
  private readonly armed = new Map<P, { release(prepared: P): Promise<void> }>();

  track(prepared: P, driver: { release(prepared: P): Promise<void> }): void {
    this.armed.set(prepared, driver);
  }

  done(prepared: P): void {
    this.armed.delete(prepared);
  }

  async releaseAll(): Promise<void> {
    for (const [prepared, driver] of this.armed) {
      process.stdout.write('an attempt cut off by its timeout left its helper armed: released now\n');
      await driver.release(prepared);
    }
    this.armed.clear();
  }
}
