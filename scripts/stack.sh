#!/usr/bin/env bash
# The whole stack under Docker Compose in one command (`npm run stack`): Docker Engine and a Compose
# CLI ready, .env with generated secrets, every image built locally, `compose up -d`, then waits
# until every service is healthy (migrate: exited 0) and prints the URLs. Uses `docker compose`
# (v2) when present, else docker-compose (v1.29+); no `--wait` (v1 has none): this script polls
# the containers' health itself.
#
#   scripts/stack.sh [up]     everything above (idempotent: a running stack is left as it is)
#   scripts/stack.sh down     stops and removes the containers and networks (volumes kept)
#   scripts/stack.sh purge    the same and the volumes (the stack's database, queue and metrics)
#   scripts/stack.sh ps       one line per container: service, state, health
#
# ENV_FILE (default .env beside docker-compose.yml) is the file Compose reads; SKIP_IMAGES=1 uses
# the images as they are; TAG sets the image tag (and GAMEDAY_TAG for Compose); STACK_WAIT_SECONDS
# (default 300) bounds the wait. COMPOSE_PROJECT_NAME and COMPOSE_PROFILES in the environment
# override the file's (COMPOSE_PROFILES=grafana adds Grafana, whose image needs a registry).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
env_file="${ENV_FILE:-$root/.env}"
[ -n "${TAG:-}" ] && export GAMEDAY_TAG="$TAG"
log() { printf '[stack] %s\n' "$*"; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

compose_cli=()
find_compose() {
  if docker compose version >/dev/null 2>&1; then
    compose_cli=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1; then
    compose_cli=(docker-compose)
  else
    die "no Compose CLI (bash scripts/bootstrap.sh docker installs one)"
  fi
}
compose() { "${compose_cli[@]}" --project-directory "$root" -f "$root/docker-compose.yml" --env-file "$env_file" "$@"; }

# service state health exit-code, one line per container of the project (stopped ones too)
containers() {
  local ids
  ids="$(compose ps -a -q)"
  [ -n "$ids" ] || return 0
  # shellcheck disable=SC2086 # one id per word
  docker inspect -f '{{ index .Config.Labels "com.docker.compose.service" }} {{ .State.Status }} {{ if .State.Health }}{{ .State.Health.Status }}{{ else }}-{{ end }} {{ .State.ExitCode }}' $ids
}

# 0: all ready; 1: not yet; 2: a container failed (printed)
check() {
  local out service state health code failed=0 pending=0
  out="$(containers)"
  [ -n "$out" ] || return 1
  while read -r service state health code; do
    if [ "$service" = migrate ]; then
      [ "$state" = exited ] && [ "$code" = 0 ] && continue
      [ "$state" = exited ] && { log "migrate exited with $code"; failed=1; continue; }
      pending=1
    elif [ "$health" = unhealthy ]; then
      log "$service is unhealthy"
      failed=1
    elif [ "$state" = running ]; then
      [ "$health" = starting ] && pending=1
    elif [ "$state" = created ] || [ "$state" = restarting ]; then
      pending=1 # a crash loop stays here until the time limit, then its logs are printed
    else
      log "$service is $state (exit code $code)"
      failed=1
    fi
  done <<<"$out"
  [ "$failed" = 1 ] && return 2
  [ "$pending" = 1 ] && return 1
  return 0
}

wait_healthy() {
  local limit=${STACK_WAIT_SECONDS:-300} t0=$SECONDS rc
  while :; do
    rc=0
    check || rc=$?
    [ "$rc" = 0 ] && return 0
    if [ "$rc" = 2 ] || [ $((SECONDS - t0)) -ge "$limit" ]; then
      containers >&2 || true
      compose logs --tail 40 >&2 || true
      [ "$rc" = 2 ] && die "a service failed (its logs above)"
      die "not every service was healthy within ${limit} s (logs above)"
    fi
    sleep 2
  done
}

env_value() { # env_value KEY DEFAULT: the environment's value, else the env file's, else DEFAULT
  local v="${!1:-}"
  [ -n "$v" ] || v="$(sed -n "s/^$1=//p" "$env_file" | tail -1)"
  printf '%s' "${v:-$2}"
}

up() {
  bash "$root/scripts/bootstrap.sh" docker
  find_compose
  bash "$root/scripts/compose-env.sh" "$env_file"
  if [ "${SKIP_IMAGES:-}" != 1 ]; then
    [ -x "$root/node_modules/.bin/nest" ] || (cd "$root" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    TAG="$(env_value GAMEDAY_TAG dev)" bash "$root/scripts/images.sh" all
  fi
  local t0=$SECONDS
  log "starting with: ${compose_cli[*]} ($("${compose_cli[@]}" version --short 2>/dev/null || echo '?'))"
  compose up -d || { compose logs --tail 40 >&2 || true; die "compose up failed (logs above)"; }
  wait_healthy
  local bind api prom s1
  bind="$(env_value BIND_ADDRESS 127.0.0.1)"
  api="$(env_value API_PORT 8080)" prom="$(env_value PROMETHEUS_PORT 9090)" s1="$(env_value SERVICE1_PORT 8000)"
  log "every service healthy $((SECONDS - t0)) s after compose up"
  log "API and web UI http://$bind:$api (admin token: grep GAMEDAY_ADMIN_TOKEN $env_file)"
  log "Prometheus http://$bind:$prom   demo front (service1) http://$bind:$s1"
  case ",$(env_value COMPOSE_PROFILES ''),"  in
    *,grafana,*) log "Grafana http://$bind:$(env_value GRAFANA_PORT 3000)" ;;
    *) log "Grafana: not started (optional: COMPOSE_PROFILES=grafana; its image needs a registry)" ;;
  esac
}

[ -f "$root/docker-compose.yml" ] || die "docker-compose.yml not found in $root"
case "${1:-up}" in
  up) up ;;
  down | purge | ps)
    find_compose
    [ -f "$env_file" ] || die "$env_file not found (scripts/stack.sh up writes it)"
    case "$1" in
      down) compose down --remove-orphans ;;
      purge) compose down --volumes --remove-orphans ;;
      ps) containers ;;
    esac
    ;;
  *) die "unknown command '$1' (up|down|purge|ps)" ;;
esac
