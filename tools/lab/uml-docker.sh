#!/usr/bin/env bash
# A Docker Engine inside the user-mode-linux lab kernel (real sch_netem), for demos and manual work.
#
#   tools/lab/uml-docker.sh start [IMAGE…]   boot it, load the lab target image and IMAGE… from
#                                               the host engine; prints DOCKER_HOST=tcp://…
#   tools/lab/uml-docker.sh status           exit 0 when its API answers, 3 when not running
#   tools/lab/uml-docker.sh stop             power it off and remove the tap device
#
# Needs root and `scripts/bootstrap.sh lab`. State and logs: ${GAMEDAY_STATE_DIR:-.lab}/uml-docker/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
exec node -r @swc-node/register tools/lab/uml-docker-cli.ts "$@"
