#!/usr/bin/env bash
# Generates the Prisma 7 client into libs/db/src/generated. Generation is WASM and works offline;
# the CLI only needs PRISMA_SCHEMA_ENGINE_BINARY to name an existing file so it skips a download.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-$root/package.json}"
export PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1
out="$(./node_modules/.bin/prisma generate --no-hints 2>&1)" || { printf '%s\n' "$out" >&2; exit 1; }
