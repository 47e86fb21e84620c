#!/bin/sh
# The stack's Postgres. On the first start (an empty data directory) it creates the cluster with
# the superuser POSTGRES_USER, whose password POSTGRES_PASSWORD is read from the environment (never
# a command line), and the database POSTGRES_DB; a later start keeps what the volume holds. Then it
# runs postgres in the foreground as PID 1.
#
# The first start's own server listens on no TCP port and on a private socket directory, so
# nothing (the healthcheck, the migrations) can see it ready before the real server is up.
set -eu
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "postgres: POSTGRES_PASSWORD must be set to create the database" >&2
    exit 2
  fi
  work="$(mktemp -d)"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$work/pw"
  initdb --username="$POSTGRES_USER" --pwfile="$work/pw" --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 --no-instructions >/dev/null
  rm -f "$work/pw"
  printf "listen_addresses = '*'\njit = off\n" >>"$PGDATA/postgresql.conf"
  printf 'local all all trust\nhost all all all scram-sha-256\n' >"$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    pg_ctl -w -o "-c listen_addresses='' -k $work" start >/dev/null
    # psql variables quote the name safely; -c would not interpolate them, hence stdin.
    echo 'CREATE DATABASE :"db";' | psql -v ON_ERROR_STOP=1 -q -h "$work" -U "$POSTGRES_USER" -d postgres -v db="$POSTGRES_DB"
    pg_ctl -w stop >/dev/null
  fi
  rm -rf "$work"
  echo "postgres: created the cluster, role $POSTGRES_USER and database $POSTGRES_DB"
fi
exec postgres
