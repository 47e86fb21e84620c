#!/usr/bin/env bash
# Builds every local image GameDay uses. Idempotent: Docker's layer cache makes a rebuild with no
# change take seconds. TypeScript is compiled on the host; the images ship JavaScript only.
#
#   scripts/images.sh          all images
#   scripts/images.sh demo     gameday/demo-service1, gameday/demo-service2, gameday/demo-db
#   scripts/images.sh helper   gameday/netem-helper, container-watchdog, stress-helper, dns-helper:<content hash>
#                              (the fault engine's sidecars, otherwise built on first use while a run arms)
#   scripts/images.sh test     demo and helper: what the tests' runs need, built once before they start
#   scripts/images.sh app      gameday/api, gameday/migrate, gameday/worker
#   scripts/images.sh stack    gameday/postgres, gameday/redis, gameday/prometheus, gameday/gateway (the compose
#                              stack's own services, from Debian's packages: no registry needed)
#
# TAG (default "dev") sets the tag; NO_CACHE=1 rebuilds every layer; SKIP_BUILD=1 uses the
# existing dist/ instead of running `npm run build`. Prints how long each image took.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tag="${TAG:-dev}"
log() { printf '[images] %s\n' "$*"; }
die() { printf '[images] ERROR: %s\n' "$*" >&2; exit 1; }

docker info >/dev/null 2>&1 || die "Docker Engine not reachable (run: bash scripts/bootstrap.sh docker)"

# Where no registry is reachable, a Debian base is built from Debian's mirror and imported under
# its official name, so the Dockerfiles stay the same everywhere.
ensure_base() { # ensure_base SUITE
  local image="debian:$1-slim"
  docker image inspect "$image" >/dev/null 2>&1 && return 0
  if timeout 30 docker pull -q "$image" >/dev/null 2>&1; then log "$image: pulled"; return 0; fi
  command -v debootstrap >/dev/null 2>&1 || die "$image missing, no registry, and debootstrap not installed"
  local dir; dir="$(mktemp -d)"
  log "$image: no registry; building it with debootstrap (about 30 s)"
  debootstrap --variant=minbase "$1" "$dir" http://deb.debian.org/debian >"$dir.log" 2>&1 \
    || { tail -20 "$dir.log" >&2; rm -rf "$dir"; die "debootstrap $1 failed"; }
  rm -rf "$dir/var/cache/apt/archives/"*.deb "$dir/var/lib/apt/lists/"*
  tar -C "$dir" -c . | docker import - "$image" >/dev/null
  rm -rf "$dir" "$dir.log"
  log "$image: imported"
}

build() { # build IMAGE CONTEXT [docker build args...]
  local image=$1 context=$2; shift 2
  local t0=$SECONDS
  local cache=(); [ "${NO_CACHE:-}" = 1 ] && cache=(--no-cache)
  # Quiet unless it fails (the legacy builder also prints a deprecation notice on every build).
  docker build -q "${cache[@]}" -t "$image:$tag" "$@" "$context" >/dev/null 2>&1 \
    || { docker build "${cache[@]}" -t "$image:$tag" "$@" "$context" 2>&1 | tail -25 >&2; die "building $image failed"; }
  log "$image:$tag built in $((SECONDS - t0)) s ($(docker image inspect -f '{{.Size}}' "$image:$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
}

demo() {
  ensure_base bookworm
  node "$root/demo-system/scripts/bundle.mjs"
  build gameday/demo-service1 "$root/demo-system" --target service1
  build gameday/demo-service2 "$root/demo-system" --target service2
  build gameday/demo-db "$root/demo-system" --target db
}

# Removes what nothing in the production dependency tree needs any more (the Prisma CLI's own
# dependencies once the CLI is gone), as npm's own dependency graph says.
prune_extraneous() { # prune_extraneous DIR
  local extraneous
  extraneous="$(cd "$1" && npm ls --all --json --long --omit=dev 2>/dev/null | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const out = new Set();
      const walk = (deps) => { for (const d of Object.values(deps || {})) {
        if (d.extraneous && d.path) out.add(d.path); walk(d.dependencies); } };
      walk(JSON.parse(s).dependencies);
      console.log([...out].join("\n"));
    });')"
  local path
  while IFS= read -r path; do
    case "$path" in "$1"/node_modules/*) rm -rf "$path" ;; esac
  done <<<"$extraneous"
}

app() {
  ensure_base trixie
  local stage="$root/dist/image-context"
  # SKIP_BUILD=1 reuses dist/ when the caller (CI) has just run `npm run build`.
  if [ "${SKIP_BUILD:-}" != 1 ]; then (cd "$root" && npm run -s build) || die "npm run build failed"; fi
  [ -f "$root/dist/apps/api/src/main.js" ] && [ -f "$root/dist/apps/worker/src/main.js" ] || die "dist/ has no compiled api/worker (npm run build)"
  rm -rf "$stage" && mkdir -p "$stage"
  cp "$root/package.json" "$root/package-lock.json" "$stage/"
  cp -r "$root/dist/apps" "$root/dist/libs" "$root/dist/web" "$stage/"
  # The worker builds the netem helper image from these files on engines that lack it.
  mkdir -p "$stage/libs/faults/helper" && cp "$root/libs/faults/helper/"* "$stage/libs/faults/helper/"
  # Production dependencies only, installed on the host (which holds the npm cache and any
  # registry configuration) so the image build itself needs no registry.
  (cd "$stage" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error) || die "npm ci failed"
  # @prisma/client lists the Prisma CLI as a peer, so npm installs it (and its studio) even without
  # dev dependencies; the services only need the generated client and its runtime.
  rm -rf "$stage/node_modules/prisma"
  prune_extraneous "$stage"
  # Migrations: the offline Prisma migrate tool with the repository layout scripts/db-migrate.sh expects.
  local tool="$root/tools/prisma-migrate"
  [ -x "$tool/node_modules/.bin/prisma" ] || (cd "$tool" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) || die "npm ci in tools/prisma-migrate failed"
  mkdir -p "$stage/migrate/tools/prisma-migrate" "$stage/migrate/scripts" "$stage/migrate/prisma"
  cp -r "$tool/package.json" "$tool/package-lock.json" "$tool/prisma.config.ts" "$tool/node_modules" "$stage/migrate/tools/prisma-migrate/"
  cp -r "$root/prisma/schema.prisma" "$root/prisma/migrations" "$stage/migrate/prisma/"
  cp "$root/scripts/db-migrate.sh" "$stage/migrate/scripts/"
  build gameday/migrate "$stage" -f "$root/apps/api/Dockerfile" --target migrate
  build gameday/api "$stage" -f "$root/apps/api/Dockerfile" --target api
  build gameday/worker "$stage" -f "$root/apps/worker/Dockerfile"
}

# The compose stack's Postgres, Redis, Prometheus and gateway (stack/Dockerfile).
stack() {
  ensure_base bookworm
  local target
  for target in postgres redis prometheus gateway; do build "gameday/$target" "$root/stack" --target "$target"; done
}

# The netem helper is tagged by a hash of its build context; the worker builds it on demand on
# any engine that lacks it. Building it here keeps the first injection on this engine fast.
helper() {
  ensure_base bookworm
  local t0=$SECONDS images
  # the sidecar helper, the container faults' watchdog, and the stress and dns kinds' helpers (on
  # top of the first): what the fault engine otherwise builds on first use, while a run arms
  images="$(cd "$root" && node -r @swc-node/register -e "
    const Docker = require('dockerode');
    const f = require('./libs/faults/src/engine/helper-image.ts');
    const docker = new Docker();
    (async () => {
      const helper = await f.ensureHelperImage(docker);
      const rest = [await f.ensureWatchdogImage(docker), await f.ensureStressImage(docker, helper), await f.ensureDnsImage(docker, helper)];
      console.log([helper, ...rest].join(' '));
    })().catch((e) => { console.error(e.message); process.exit(1); });")" || die "building the fault helper images failed"
  log "$images ready in $((SECONDS - t0)) s"
}

case "${1:-all}" in
  demo) demo ;;
  app) app ;;
  helper) helper ;;
  test) demo; helper ;;
  stack) stack ;;
  all) demo; helper; app; stack ;;
  *) die "unknown target '$1' (demo|helper|test|app|stack|all)" ;;
esac
