#!/usr/bin/env bash
# Builds every local image GameDay uses. Idempotent: Docker's layer cache makes a rebuild with no
# change take seconds. TypeScript is compiled on the host; the images ship JavaScript only.
#
#   scripts/images.sh          all images
#   scripts/images.sh demo     gameday/demo-service1, gameday/demo-service2, gameday/demo-db
#   scripts/images.sh app      gameday/api, gameday/worker
#
# TAG (default "dev") sets the tag. Prints how long each image took.
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
  docker build -q -t "$image:$tag" "$@" "$context" >/dev/null \
    || { docker build -t "$image:$tag" "$@" "$context" 2>&1 | tail -25 >&2; die "building $image failed"; }
  log "$image:$tag built in $((SECONDS - t0)) s ($(docker image inspect -f '{{.Size}}' "$image:$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
}

demo() {
  ensure_base bookworm
  node "$root/demo-system/scripts/bundle.mjs"
  build gameday/demo-service1 "$root/demo-system" --target service1
  build gameday/demo-service2 "$root/demo-system" --target service2
  build gameday/demo-db "$root/demo-system" --target db
}

app() {
  ensure_base trixie
  local stage="$root/dist/image-context"
  (cd "$root" && npm run -s build) || die "npm run build failed"
  rm -rf "$stage" && mkdir -p "$stage"
  cp "$root/package.json" "$root/package-lock.json" "$stage/"
  cp -r "$root/dist/apps" "$root/dist/libs" "$stage/"
  # Production dependencies only, installed on the host (which holds the npm cache and any
  # registry configuration) so the image build itself needs no registry.
  (cd "$stage" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error) || die "npm ci failed"
  build gameday/api "$stage" -f "$root/apps/api/Dockerfile"
  build gameday/worker "$stage" -f "$root/apps/worker/Dockerfile"
}

case "${1:-all}" in
  demo) demo ;;
  app) app ;;
  all) demo; app ;;
  *) die "unknown target '$1' (demo|app|all)" ;;
esac
