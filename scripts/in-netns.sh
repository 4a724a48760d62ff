#!/usr/bin/env bash
# Runs a command in a network namespace of its own, as every media test must: only loopback and the
# veth jv0 (127.0.0.2) exist there, so nothing of a call can leave the machine, and Janus, which skips
# loopback when it gathers ICE candidates, has jv0 to use. The embedded PostgreSQL starts inside it
# (a DATABASE_URL would point outside the namespace).
set -euo pipefail
exec unshare -n bash -c 'ip link set lo up \
  && ip link add jv0 type veth peer name jv1 && ip addr add 127.0.0.2/32 dev jv0 && ip link set jv1 up && ip link set jv0 up \
  && exec env -u DATABASE_URL "$@"' _ "$@"
