#!/usr/bin/env bash
# Every media test runs in a network namespace of its own: only loopback exists there, so nothing of a
# call can leave the machine. The embedded PostgreSQL starts inside it (DATABASE_URL points outside).
set -euo pipefail
cd "$(dirname "$0")/.."
exec unshare -n bash -c 'ip link set lo up && exec env -u DATABASE_URL TS_NODE_PROJECT=tsconfig.test.json "$@"' _ "$@"
