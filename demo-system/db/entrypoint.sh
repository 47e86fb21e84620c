#!/bin/sh
# Sets the demo role's password from the environment (never baked into the image), then runs
# PostgreSQL in the foreground so it receives `docker stop`'s SIGTERM directly.
set -eu
if [ -z "${DEMO_DB_PASSWORD:-}" ]; then
  echo "demo-db: DEMO_DB_PASSWORD must be set" >&2
  exit 2
fi
pg_ctl -w -o "-c listen_addresses=''" start >/dev/null
# psql variables quote the value safely; -c would not interpolate them, hence stdin.
echo "ALTER ROLE demo PASSWORD :'pw';" | psql -v ON_ERROR_STOP=1 -q -v pw="$DEMO_DB_PASSWORD" -d postgres
pg_ctl -w stop >/dev/null
exec postgres
