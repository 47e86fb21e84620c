#!/usr/bin/env bash
# The main job (`npm run demo`): the classic GameDay end to end on this machine. Makes the host
# ready, builds, migrates, builds the demo images, then runs scripts/demo/main.ts, which starts the
# demo system in Docker (inside the user-mode-linux lab kernel when this kernel has no sch_netem),
# the API, the worker and Prometheus, schedules examples/classic.gameday.json a few seconds ahead,
# follows the run and prints the verdict. Everything it starts is stopped at the end.
#
#   GAMEDAY_DEMO_FAST=1      30 s arming, 25 s / 30 s / 35 s windows instead of the example's 30 s / 2 min / 30 s
#   GAMEDAY_DEMO_ENGINE=lab  force the lab engine (host | lab | auto)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/gameday}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
# no Chromium: the demo prints the run's page for a browser of the user's own
bash scripts/bootstrap.sh demo
[ -x node_modules/.bin/nest ] || npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
# the demo images (Docker and Debian's mirror) build beside the TypeScript build (the CPU); neither
# writes what the other reads
images_log="$(mktemp)"
bash scripts/images.sh demo >"$images_log" 2>&1 &
images_pid=$!
trap 'kill "$images_pid" 2>/dev/null || true; rm -f "$images_log"' EXIT
npm run -s build
out="$(bash scripts/db-migrate.sh deploy 2>&1)" || { printf "%s\n" "$out" >&2; exit 1; }
images_ok=0
wait "$images_pid" && images_ok=1
cat "$images_log"
[ "$images_ok" = 1 ] || { echo "[demo] building the demo images failed (above)" >&2; exit 1; }
trap - EXIT
rm -f "$images_log"
exec node -r @swc-node/register scripts/demo/main.ts
