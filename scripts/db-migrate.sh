#!/usr/bin/env bash
# Applies (deploy), creates (dev --name X), checks (diff) or resets Prisma migrations with the
# offline WASM migrate engine in tools/prisma-migrate. prisma/schema.prisma is the one source:
# a Prisma 6.19-compatible copy (no generator, url from env) is derived from it on each call.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tool="$root/tools/prisma-migrate"
: "${DATABASE_URL:=postgresql://postgres@127.0.0.1:5432/gameday}"
export DATABASE_URL PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1
# The CLI insists on locating native engines it never uses on the WASM path; point it at a file.
export PRISMA_QUERY_ENGINE_LIBRARY="${PRISMA_QUERY_ENGINE_LIBRARY:-$tool/package.json}"
export PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-$tool/package.json}"
export PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING=1

if [ ! -x "$tool/node_modules/.bin/prisma" ]; then
  (cd "$tool" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi

# Derive the 6.19 schema: drop generator blocks, give the datasource its url.
awk '
  /^generator[ \t]/ { skip = 1 }
  skip && /^}/ { skip = 0; next }
  skip { next }
  /^datasource[ \t]/ { print; print "  url      = env(\"DATABASE_URL\")"; next }
  { print }
' "$root/prisma/schema.prisma" > "$tool/schema.prisma.$$"
# renamed into place whole: migrations of several databases at once read it while another writes it
mv -f "$tool/schema.prisma.$$" "$tool/schema.prisma"

# Create the target database when it does not exist yet (deploy/dev/status on a fresh machine).
node -e '
const { Client } = require(process.argv[1]);
const url = new URL(process.env.DATABASE_URL);
const db = decodeURIComponent(url.pathname.slice(1));
url.pathname = "/postgres";
const c = new Client({ connectionString: url.toString() });
c.connect()
  .then(() => c.query("select 1 from pg_database where datname = $1", [db]))
  .then((r) => (r.rowCount ? null : c.query(`create database "${db.replace(/"/g, "\"\"")}"`)))
  .then(() => c.end())
  .catch((e) => { console.error(`cannot reach Postgres at ${url.host}: ${e.message}`); process.exit(1); });
' "$tool/node_modules/pg"

cmd="${1:-deploy}"; shift || true
cd "$tool"
case "$cmd" in
  deploy) exec ./node_modules/.bin/prisma migrate deploy "$@" ;;
  status) exec ./node_modules/.bin/prisma migrate status "$@" ;;
  dev) exec ./node_modules/.bin/prisma migrate dev --skip-generate "$@" ;;
  reset) exec ./node_modules/.bin/prisma migrate reset --force --skip-generate "$@" ;;
  # Exit 0 when the migrations produce exactly the schema, 2 when they differ. The WASM engine
  # replays the migrations in the adapter's own database, so it gets a fresh throwaway one.
  diff)
    scratch="gameday_diff_$$_$RANDOM"
    admin_url="$(node -e 'const u=new URL(process.env.DATABASE_URL);u.pathname="/postgres";console.log(u.toString())')"
    DATABASE_URL="$(node -e 'const u=new URL(process.env.DATABASE_URL);u.pathname="/"+process.argv[1];console.log(u.toString())' "$scratch")"
    export DATABASE_URL
    psql_like() { node -e 'const {Client}=require(process.argv[1]);const c=new Client({connectionString:process.argv[2]});c.connect().then(()=>c.query(process.argv[3])).then(()=>c.end()).catch(e=>{console.error(e.message);process.exit(1)})' "$tool/node_modules/pg" "$admin_url" "$1"; }
    psql_like "create database \"$scratch\""
    trap 'psql_like "drop database if exists \"$scratch\""' EXIT
    set +e
    ./node_modules/.bin/prisma migrate diff --from-migrations ../../prisma/migrations --to-schema-datamodel ./schema.prisma --exit-code "$@"
    rc=$?
    exit $rc ;;
  *) echo "usage: db-migrate.sh deploy|status|dev --name NAME|reset|diff" >&2; exit 64 ;;
esac
