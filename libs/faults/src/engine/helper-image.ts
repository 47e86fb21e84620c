import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type Docker from 'dockerode';

export const HELPER_IMAGE_REPOSITORY = 'gameday/netem-helper';
const CONTEXT_FILES = [
  'Dockerfile',
  'gameday-helper.sh',
  'netns-batch.sh',
  'process-kill.sh',
  'gameday-at.c',
  'sock-destroy.c',
  'sock-destroy.h',
  'gameday-kill.c',
];

/** Finds libs/faults/helper from the source tree or a build output; a given directory wins. */
export function helperContextDir(configured?: string): string {
  if (configured) return resolve(configured);
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    for (const candidate of [join(dir, 'helper'), join(dir, 'libs', 'faults', 'helper')]) {
      if (CONTEXT_FILES.every((f) => existsSync(join(candidate, f)))) return candidate;
    }
    dir = dirname(dir);
  }
  throw new Error('helper image context (libs/faults/helper) not found: set GAMEDAY_HELPER_CONTEXT');
}

/**
 * The tag is derived from the context's content, so a changed helper script can never run under
 * an old image of the same name on a long-lived engine.
 */
export function helperImageTag(contextDir = helperContextDir()): string {
  const hash = createHash('sha256');
  for (const f of CONTEXT_FILES)
    hash
      .update(f)
      .update('\0')
      .update(readFileSync(join(contextDir, f)))
      .update('\0');
  return `${HELPER_IMAGE_REPOSITORY}:${hash.digest('hex').slice(0, 12)}`;
}

/** Builds the helper image on this engine unless it is already there; returns its tag. */
export async function ensureHelperImage(
  docker: Docker,
  options: { contextDir?: string; tag?: string } = {},
): Promise<string> {
  const contextDir = helperContextDir(options.contextDir);
  const tag = options.tag ?? helperImageTag(contextDir);
  try {
    await docker.getImage(tag).inspect();
    return tag;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
  const stream = await docker.buildImage(
    { context: contextDir, src: CONTEXT_FILES },
    { t: tag, rm: true, forcerm: true },
  );
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
  return tag;
}
