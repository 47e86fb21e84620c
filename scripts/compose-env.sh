#!/usr/bin/env bash
# Writes the .env that docker compose reads, on first run: starts from .env.example and replaces
# every placeholder secret (a value beginning with "change-me") by a freshly generated one (256
# bits, hex). A value the user set is never changed; keys added to .env.example later are appended.
# The file is readable by its owner only. Prints where the secrets are, never the secrets.
#
#   bash scripts/compose-env.sh [ENV_FILE]      default: .env beside docker-compose.yml
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
example="$root/.env.example"
env_file="${1:-$root/.env}"
umask 077

secret() { head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n'; }

[ -f "$env_file" ] || : >"$env_file"
chmod 600 "$env_file"

# keys of the example missing from .env (all of them on first run) are taken over as they are
added=()
while IFS= read -r line; do
  case "$line" in '' | '#'*) continue ;; esac
  key="${line%%=*}"
  if ! grep -q "^${key}=" "$env_file"; then
    printf '%s\n' "$line" >>"$env_file"
    added+=("$key")
  fi
done <"$example"

# then every placeholder, new or old, becomes a generated secret
generated=()
tmp="$(mktemp "$env_file.XXXXXX")"
while IFS= read -r line || [ -n "$line" ]; do
  if [[ "$line" =~ ^([A-Za-z_][A-Za-z0-9_]*)=change-me ]]; then
    printf '%s=%s\n' "${BASH_REMATCH[1]}" "$(secret)"
    generated+=("${BASH_REMATCH[1]}")
  else
    printf '%s\n' "$line"
  fi
done <"$env_file" >"$tmp"
mv "$tmp" "$env_file"
chmod 600 "$env_file"

if [ ${#generated[@]} -gt 0 ]; then
  echo "generated ${generated[*]} in $env_file (mode 600; read them there, e.g. the admin token: grep GAMEDAY_ADMIN_TOKEN $env_file)"
fi
[ ${#added[@]} -gt 0 ] && [ ${#generated[@]} -eq 0 ] && echo "added ${added[*]} from .env.example to $env_file"
[ ${#generated[@]} -gt 0 ] || [ ${#added[@]} -gt 0 ] || echo "$env_file has every key and no placeholder: nothing changed"
