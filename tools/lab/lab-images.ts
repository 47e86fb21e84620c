// Images for the nested Docker lab. Loading an image into the guest's engine costs time in
// proportion to its size (a 200 MB rootfs takes ~30 s), so the lab's target is a scratch image
// holding only Debian's static busybox: ~1 MB, an HTTP server and nothing else.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';

export const LAB_TARGET_IMAGE = 'gameday/lab-target:1';

const DOCKERFILE = `FROM scratch
COPY busybox /bin/busybox
COPY index.html /www/index.html
LABEL gameday.enabled="true"
EXPOSE 80
ENTRYPOINT ["/bin/busybox"]
CMD ["httpd", "-f", "-p", "80", "-h", "/www"]
`;

function findBusybox(): string {
  for (const p of ['/bin/busybox', '/usr/bin/busybox']) if (existsSync(p)) return p;
  throw new Error(
    'lab prerequisite missing: a static busybox (Debian package busybox-static) for the lab target image',
  );
}

async function followBuild(docker: Docker, stream: NodeJS.ReadableStream, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => {
      const failed = err?.message ?? output.find((o) => o.error)?.error;
      if (failed) reject(new Error(`${what}: ${failed}`));
      else resolve();
    });
  });
}

/** Builds the lab target image on `docker` (the host engine) unless it is already there. */
export async function ensureLabTargetImage(docker: Docker): Promise<string> {
  try {
    await docker.getImage(LAB_TARGET_IMAGE).inspect();
    return LAB_TARGET_IMAGE;
  } catch {
    // not built yet
  }
  const context = mkdtempSync(path.join(os.tmpdir(), 'gameday-lab-image-'));
  try {
    mkdirSync(context, { recursive: true });
    copyFileSync(findBusybox(), path.join(context, 'busybox'));
    writeFileSync(path.join(context, 'index.html'), 'ok\n');
    writeFileSync(path.join(context, 'Dockerfile'), DOCKERFILE);
    const stream = await docker.buildImage(
      { context, src: ['Dockerfile', 'busybox', 'index.html'] },
      { t: LAB_TARGET_IMAGE },
    );
    await followBuild(docker, stream, `building ${LAB_TARGET_IMAGE}`);
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  return LAB_TARGET_IMAGE;
}

export interface ImageLoad {
  image: string;
  bytes: number;
  ms: number;
}

/**
 * Copies images from one engine to another in one `docker save | docker load` stream over the two
 * APIs: layers the images share (the Debian base of the demo images) cross the lab link and are
 * unpacked by the guest's one vCPU once, not once per image.
 */
export async function copyImages(from: Docker, to: Docker, images: readonly string[]): Promise<ImageLoad> {
  const started = Date.now();
  const image = images.join(', ');
  let saved: NodeJS.ReadableStream;
  try {
    // GET /images/get?names=…: dockerode has it, its type definitions do not
    const engine = from as unknown as { getImages(opts: { names: string[] }): Promise<NodeJS.ReadableStream> };
    saved = await engine.getImages({ names: [...images] });
  } catch (err) {
    throw new Error(`cannot export ${image} from the source engine: ${(err as Error).message.trim()}`, {
      cause: err,
    });
  }
  let bytes = 0;
  saved.on('data', (chunk: Buffer) => (bytes += chunk.length));
  const loading = (await to.loadImage(saved, { quiet: true })) as NodeJS.ReadableStream;
  await followBuild(to, loading, `loading ${image}`);
  for (const name of images) {
    try {
      await to.getImage(name).inspect();
    } catch {
      throw new Error(`loading ${name}: the engine reported success but has no such image`);
    }
  }
  return { image, bytes, ms: Date.now() - started };
}
