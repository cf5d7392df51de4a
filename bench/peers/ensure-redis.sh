#!/usr/bin/env bash
# Prints the path of Debian's redis-server, installing the package first when it is missing
# (apt-get needs root; the benchmark says so on stderr when it installs).
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then command -v redis-server; exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "bench:peers: redis-server is missing; install it (apt-get install -y redis-server) and run again" >&2
  exit 1
fi
echo "bench:peers: redis-server is missing; installing Debian's redis-server package (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends redis-server >&2
# The package starts a system service on 6379 where an init system runs; the benchmark starts
# its own server on a free port and leaves that one alone.
command -v redis-server
