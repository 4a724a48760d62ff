#!/usr/bin/env bash
# Every media test runs in a network namespace of its own: only loopback exists there, so nothing of a
# call can leave the machine. The embedded PostgreSQL starts inside it (DATABASE_URL points outside).
# Janus never gathers ICE candidates on a loopback interface, so the namespace also has a veth pair
# whose end jv0 carries 127.0.0.2 (still 127/8, delivered locally): startJanus({ iceInterface: 'jv0' }).
set -euo pipefail
cd "$(dirname "$0")/.."
exec unshare -n bash -c 'ip link set lo up && ip link add jv0 type veth peer name jv1 && ip addr add 127.0.0.2/32 dev jv0 \
  && ip link set jv1 up && ip link set jv0 up && exec env -u DATABASE_URL TS_NODE_PROJECT=tsconfig.test.json "$@"' _ "$@"
