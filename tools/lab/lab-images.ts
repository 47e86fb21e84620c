// Images for the nested Docker lab. Loading an image into the guest's engine costs time in
// proportion to its size (a 200 MB rootfs takes ~30 s), so the lab's target is a scratch image
// holding only Debian's static busybox: ~1 MB, an HTTP server and the CGI probes below.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';

export const LAB_TARGET_IMAGE = 'gameday/lab-target:2';

const DOCKERFILE = `FROM scratch
COPY busybox /bin/busybox
COPY index.html /www/index.html
COPY cgi-bin /www/cgi-bin
LABEL gameday.enabled="true"
EXPOSE 80
ENTRYPOINT ["/bin/busybox"]
CMD ["httpd", "-f", "-p", "80", "-h", "/www"]
`;

/**
 * What a fault does inside the target, asked from outside over HTTP: each probe answers 200 while
 * the target works as without the fault and 503 while the fault shows there, so the trials' host
 * watcher sees faults whose effect is inside the target (its resolver, its peers, its disk, its
 * cgroup's CPU) as it sees a slowed or refused port. Only busybox applets and shell builtins.
 */
const CGI_PRELUDE = `#!/bin/busybox sh
ok() { printf 'Content-Type: text/plain\\r\\n\\r\\n%s\\n' "$1"; exit 0; }
faulted() { printf 'Status: 503 Faulted\\r\\nContent-Type: text/plain\\r\\n\\r\\n%s\\n' "$1"; exit 0; }
`;
// a peer's name from the query: a container name, nothing a shell would read as more
const CGI_PEER = `peer="$QUERY_STRING"
case "$peer" in ''|*[!a-z0-9.-]*) printf 'Status: 400 Bad Request\\r\\n\\r\\n'; exit 0;; esac
`;
export const LAB_TARGET_PROBES: Record<string, string> = {
  // the peer's name resolves through the target's resolv.conf (Docker's embedded DNS)
  resolve: `${CGI_PEER}out=$(/bin/busybox nslookup "$peer" 2>&1)
case "$out" in *NXDOMAIN*|*SERVFAIL*) faulted "$out";; *"Name:"*) ok "$out";; *) faulted "$out";; esac
`,
  // the peer's HTTP server, by its IPv4 address, answers the target (a partition's other side;
  // nc, as the static busybox's wget crashed on a non-loopback address)
  reach: `addr="$QUERY_STRING"
case "$addr" in ''|*[!0-9.]*) printf 'Status: 400 Bad Request\\r\\n\\r\\n'; exit 0;; esac
r=$(printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | /bin/busybox nc -w 2 "$addr" 80 2>/dev/null | /bin/busybox head -n 1)
case "$r" in "HTTP/1."*" 200 "*) ok reached;; esac
faulted "unreachable: $r"
`,
  // the target's /data (a tmpfs of its own) holds more than 16 MB
  disk: `set -- $(/bin/busybox df -k /data | /bin/busybox tail -n 1)
[ "$3" -gt 16384 ] && faulted "used $3 KB"
ok "used $3 KB"
`,
  // the target's cgroup used more than 40 % of a CPU over 300 ms (cpu.stat of its own cgroup v2)
  cpu: `u() { while read -r k v; do [ "$k" = usage_usec ] && echo "$v"; done </sys/fs/cgroup/cpu.stat; }
a=$(u); /bin/busybox usleep 300000; b=$(u)
[ $((b - a)) -gt 120000 ] && faulted "$((b - a)) us of CPU in 300 ms"
ok "$((b - a)) us of CPU in 300 ms"
`,
};

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
    mkdirSync(path.join(context, 'cgi-bin'));
    for (const [name, body] of Object.entries(LAB_TARGET_PROBES))
      writeFileSync(path.join(context, 'cgi-bin', name), CGI_PRELUDE + body, { mode: 0o755 });
    writeFileSync(path.join(context, 'Dockerfile'), DOCKERFILE);
    const stream = await docker.buildImage(
      { context, src: ['Dockerfile', 'busybox', 'index.html', 'cgi-bin'] },
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
