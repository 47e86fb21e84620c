import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type Docker from 'dockerode';

export const HELPER_IMAGE_REPOSITORY = 'gameday/netem-helper';
/** The container-fault watchdog: the same build context's `watchdog` stage, its static binary alone. */
export const WATCHDOG_IMAGE_REPOSITORY = 'gameday/container-watchdog';
/** Every file the helper image is built from: its tag hashes them and only they are sent to the engine. */
export const HELPER_CONTEXT_FILES: readonly string[] = [
  'Dockerfile',
  'gameday-helper.sh',
  'helper-lock.sh',
  'helper-record.sh',
  'helper-steps.sh',
  'helper-commands.sh',
  'helper-timer.sh',
  'helper-daemon.sh',
  'netns-batch.sh',
  'process-kill.sh',
  'stress.sh',
  'dns.sh',
  'disk-fill.sh',
  'gameday-common.h',
  'gameday-common.c',
  'gameday-at.c',
  'gameday-abort.c',
  'sock-destroy.c',
  'sock-destroy.h',
  'gameday-kill.c',
  'kill-procs.c',
  'kill-procs.h',
  'gameday-stress.c',
  'stress-cgroup.c',
  'stress-cgroup.h',
  'gameday-fill.c',
  'fill-target.c',
  'fill-target.h',
  'fill-commands.c',
  'fill-commands.h',
  'gameday-watchdog.c',
  'watchdog-engine.c',
  'watchdog-engine.h',
  'watchdog-json.c',
  'watchdog-json.h',
];

/** Finds libs/faults/helper from the source tree or a build output; a given directory wins. */
export function helperContextDir(configured?: string): string {
  if (configured) return resolve(configured);
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    for (const candidate of [join(dir, 'helper'), join(dir, 'libs', 'faults', 'helper')]) {
      if (HELPER_CONTEXT_FILES.every((f) => existsSync(join(candidate, f)))) return candidate;
    }
    dir = dirname(dir);
  }
  throw new Error('helper image context (libs/faults/helper) not found: set GAMEDAY_HELPER_CONTEXT');
}

/**
 * The tag is derived from the context's content, so a changed helper script can never run under
 * an old image of the same name on a long-lived engine.
 */
export function helperImageTag(contextDir = helperContextDir(), repository = HELPER_IMAGE_REPOSITORY): string {
  const hash = createHash('sha256');
  for (const f of HELPER_CONTEXT_FILES)
    hash
      .update(f)
      .update('\0')
      .update(readFileSync(join(contextDir, f)))
      .update('\0');
  return `${repository}:${hash.digest('hex').slice(0, 12)}`;
}

/** Builds the helper image on this engine unless it is already there; returns its tag. */
export function ensureHelperImage(
  docker: Docker,
  options: { contextDir?: string; tag?: string } = {},
): Promise<string> {
  return ensureContextImage(docker, HELPER_IMAGE_REPOSITORY, undefined, options);
}

/**
 * Builds the container-fault watchdog's image (FROM scratch, one static binary) on this engine
 * unless it is already there; returns its tag. Same context as the helper, so the two share the
 * build stage and its cache.
 */
export function ensureWatchdogImage(
  docker: Docker,
  options: { contextDir?: string; tag?: string } = {},
): Promise<string> {
  return ensureContextImage(docker, WATCHDOG_IMAGE_REPOSITORY, 'watchdog', options);
}

async function ensureContextImage(
  docker: Docker,
  repository: string,
  target: string | undefined,
  options: { contextDir?: string; tag?: string },
): Promise<string> {
  const contextDir = helperContextDir(options.contextDir);
  const tag = options.tag ?? helperImageTag(contextDir, repository);
  if (await imageExists(docker, tag)) return tag;
  await build(docker, tag, { context: contextDir, src: [...HELPER_CONTEXT_FILES] }, target ? { target } : {});
  return tag;
}

async function imageExists(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    return false;
  }
}

async function build(
  docker: Docker,
  tag: string,
  context: { context: string; src: string[] },
  extra: Record<string, unknown> = {},
): Promise<void> {
  const stream = await docker.buildImage(context, { t: tag, rm: true, forcerm: true, ...extra });
  await new Promise<void>((resolvePromise, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: { error?: string; errorDetail?: { message?: string } }[]) => {
        const failed = err ?? output.find((o) => o.error || o.errorDetail);
        if (failed)
          reject(new Error(`building ${tag} failed: ${err?.message ?? (failed as { error?: string }).error}`));
        else resolvePromise();
      },
    );
  });
  await docker.getImage(tag).inspect();
}

export const STRESS_IMAGE_REPOSITORY = 'gameday/stress-helper';
const STRESS_DOCKERFILE = 'Dockerfile.stress';

/** The stress image's tag: the helper image it is built on and its own Dockerfile. */
export function stressImageTag(helperImage: string, contextDir = helperContextDir()): string {
  const hash = createHash('sha256')
    .update(helperImage)
    .update('\0')
    .update(readFileSync(join(contextDir, STRESS_DOCKERFILE)));
  return `${STRESS_IMAGE_REPOSITORY}:${hash.digest('hex').slice(0, 12)}`;
}

/**
 * The image of the stress kind's helper (the helper image plus stress-ng), built on this engine
 * on top of `helperImage` unless already there; returns its tag.
 */
export async function ensureStressImage(
  docker: Docker,
  helperImage: string,
  options: { contextDir?: string } = {},
): Promise<string> {
  const contextDir = helperContextDir(options.contextDir);
  const tag = stressImageTag(helperImage, contextDir);
  if (await imageExists(docker, tag)) return tag;
  await build(
    docker,
    tag,
    { context: contextDir, src: [STRESS_DOCKERFILE] },
    {
      dockerfile: STRESS_DOCKERFILE,
      buildargs: { HELPER_IMAGE: helperImage },
    },
  );
  return tag;
}

export const DNS_IMAGE_REPOSITORY = 'gameday/dns-helper';
const DNS_DOCKERFILE = 'Dockerfile.dns';

/** The dns image's tag: the helper image it is built on and its own Dockerfile. */
export function dnsImageTag(helperImage: string, contextDir = helperContextDir()): string {
  const hash = createHash('sha256')
    .update(helperImage)
    .update('\0')
    .update(readFileSync(join(contextDir, DNS_DOCKERFILE)));
  return `${DNS_IMAGE_REPOSITORY}:${hash.digest('hex').slice(0, 12)}`;
}

/**
 * The image of the dns kind's helper (the helper image plus dnsdist, conntrack and setpriv), built
 * on this engine on top of `helperImage` unless already there; returns its tag.
 */
export async function ensureDnsImage(
  docker: Docker,
  helperImage: string,
  options: { contextDir?: string } = {},
): Promise<string> {
  const contextDir = helperContextDir(options.contextDir);
  const tag = dnsImageTag(helperImage, contextDir);
  if (await imageExists(docker, tag)) return tag;
  await build(
    docker,
    tag,
    { context: contextDir, src: [DNS_DOCKERFILE] },
    { dockerfile: DNS_DOCKERFILE, buildargs: { HELPER_IMAGE: helperImage } },
  );
  return tag;
}
