#!/usr/bin/env bash
# The README's test command (`npm test`): makes the host ready, prepares the test databases and
# runs the jest tiers: unit, integration (real Postgres, Redis, Docker Engine), redis-cluster (the
# scheduling tests again on a local three-node Redis Cluster), browser (the web UI in Chromium
# against the real API and worker) and lab (user-mode-linux kernel with sch_netem).
#
# The lab's kernel is pinned to one CPU and spends most of its time waiting on its own guest, the
# other tiers mostly wait on timers, so the lab tier runs beside them (its own database and Redis
# indexes, a Postgres of its own where a test restarts one); only the classic end to end, whose
# verdict measures latencies from the host, runs alone at the end.
#
# Extra arguments go to one plain jest run over every tier (e.g. `npm test -- test/lab/x`).
# SKIP_BUILD=1 lets the tests that need dist/ (app images, the lab end to end) use it as it is
# instead of building it again (CI builds just before). GAMEDAY_SKIP_LAB=1 leaves the lab out.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DATABASE_URL="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/gameday_test}"
export REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"
lab_db="${TEST_LAB_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/gameday_lab}"
bash scripts/bootstrap.sh
bash scripts/prisma-generate.sh
migrate() { out="$(DATABASE_URL="$1" bash scripts/db-migrate.sh deploy 2>&1)" || { printf "%s\n" "$out" >&2; exit 1; }; }
migrate "$DATABASE_URL"

# --forceExit: a handle a test left open (jest names it in its "did not exit" warning) must not
# hang CI after every test has finished
jest=(npx jest --runInBand --forceExit)
if [ $# -gt 0 ]; then
  migrate "$lab_db"
  projects=(unit integration redis-cluster browser lab)
  [ "${GAMEDAY_SKIP_LAB:-}" = 1 ] && projects=(unit integration redis-cluster browser)
  exec "${jest[@]}" --selectProjects "${projects[@]}" "$@"
fi

results="$(mktemp -d)"
started=$SECONDS
lab_pid=
if [ "${GAMEDAY_SKIP_LAB:-}" != 1 ]; then
  migrate "$lab_db"
  echo "== lab tier (beside the others; its output follows theirs): log $results/lab.log"
  DATABASE_URL="$lab_db" "${jest[@]}" --selectProjects lab --testPathIgnorePatterns e2e-classic \
    --json --outputFile "$results/lab.json" >"$results/lab.log" 2>&1 &
  lab_pid=$!
fi

status=0
# niced: where the two streams want the same CPU, the lab's kernel and its host side go first
nice -n 10 "${jest[@]}" --selectProjects unit integration redis-cluster browser --json --outputFile "$results/main.json" || status=1
echo "== unit, integration, redis-cluster, browser: $((SECONDS - started)) s"

if [ -n "$lab_pid" ]; then
  wait "$lab_pid" || status=1
  echo "== lab tier output"
  cat "$results/lab.log"
  echo "== lab tier (without the end to end) done at $((SECONDS - started)) s"
  t=$SECONDS
  DATABASE_URL="$lab_db" "${jest[@]}" --selectProjects lab --json --outputFile "$results/e2e.json" \
    test/lab/e2e-classic || status=1
  echo "== lab end to end: $((SECONDS - t)) s"
fi

# one closing line over every run, and the slowest files (CI's time budget is 30 minutes)
node scripts/test-summary.mjs "$results"/*.json || status=1
echo "tests took $((SECONDS - started)) s"
exit "$status"
