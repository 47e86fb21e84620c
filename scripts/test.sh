#!/usr/bin/env bash
# The README's test command (`npm test`): makes the host ready, prepares the test database and
# runs the jest tiers: unit, integration (real Postgres, Redis, Docker Engine), redis-cluster (the
# scheduling tests again on a local three-node Redis Cluster), browser (the web
# UI in Chromium against the real API and worker) and lab (user-mode-linux kernel with sch_netem).
# Extra arguments go to jest. SKIP_BUILD=1 lets the tests that need dist/ (app images, the lab
# end-to-end) use it as it is instead of building it again (CI builds just before).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DATABASE_URL="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/gameday_test}"
export REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"
bash scripts/bootstrap.sh
bash scripts/prisma-generate.sh
out="$(bash scripts/db-migrate.sh deploy 2>&1)" || { printf "%s\n" "$out" >&2; exit 1; }
projects=(unit integration redis-cluster browser lab)
[ "${GAMEDAY_SKIP_LAB:-}" = 1 ] && projects=(unit integration redis-cluster browser)
# --forceExit: a handle a test left open (jest names it in its "did not exit" warning) must not
# hang CI after every test has finished
exec npx jest --selectProjects "${projects[@]}" --runInBand --forceExit "$@"
