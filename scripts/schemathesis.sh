#!/usr/bin/env bash
# Checks that the server and its OpenAPI document agree: Schemathesis generates requests from
# /openapi.json (valid and invalid ones, undeclared methods) against a fresh Pontoon on 127.0.0.1
# and runs every check on the answers. Fails on any failure; prints the number of cases.
#
#   scripts/schemathesis.sh [--max-examples N]     (default 25 cases per operation and phase)
#
# Needs Node (the project built: npm run build) and Python 3.9+; installs Schemathesis once into
# a venv under ~/.cache/pontoon. The run is bounded by the number of cases and by a timeout.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

version=4.32.5
max_examples=25
if [ "${1:-}" = "--max-examples" ]; then max_examples=$2; fi
venv="${XDG_CACHE_HOME:-$HOME/.cache}/pontoon/schemathesis-$version"
if [ ! -x "$venv/bin/schemathesis" ]; then
  echo "installing schemathesis $version into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/pontoon-schemathesis.XXXXXX")
server=
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

node bin/pontoon.js up --port 0 --host 127.0.0.1 --data-dir "$work/data" --log-level warn >"$work/server.log" 2>&1 &
server=$!
url=
for _ in $(seq 1 120); do
  url=$(sed -n 's/^Pontoon is up at \(http:[^ ]*\).*/\1/p' "$work/server.log")
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; echo "pontoon did not start" >&2; exit 1; }
  sleep 0.5
done
[ -n "$url" ] || { cat "$work/server.log"; echo "pontoon did not start in 60 s" >&2; exit 1; }

# The document's examples name namespace `default`, function `hello` and rule `on-push`: they
# exist, so the examples phase reaches past the 404s.
curl -sSf -X PUT "$url/v1/namespaces/default/functions/hello" -H 'content-type: application/yaml' --data-binary @- >/dev/null <<'EOF'
apiVersion: pontoon.dev/v1
kind: Function
metadata: {name: hello}
spec: {runtime: command, command: ["true"], timeout: 10s}
EOF
curl -sSf -X PUT "$url/v1/namespaces/default/rules/on-push" -H 'content-type: application/json' \
  -d '{"match": {"type": "com.example.push"}, "function": "hello"}' >/dev/null

status=0
timeout 1200 "$venv/bin/schemathesis" run "$url/openapi.json" \
  --checks all --max-examples "$max_examples" --phases examples,coverage,fuzzing,stateful \
  --workers 2 --seed 1 --request-timeout 30 --no-color --generation-database none \
  --report junit --report-junit-path "$work/junit.xml" >"$work/run.log" 2>&1 || status=$?
cat "$work/run.log"
cases=$(python3 -c 'import sys, xml.etree.ElementTree as et; print(sum(int(s.get("tests", 0)) for s in et.parse(sys.argv[1]).iter("testsuite")))' "$work/junit.xml" 2>/dev/null || echo '?')
echo "schemathesis: exit $status; $(grep -Eo '[0-9]+ generated' "$work/run.log" | tail -1 || echo "$cases") test cases"
if [ "$status" -ne 0 ]; then
  echo "server log:"; tail -50 "$work/server.log"
fi
exit "$status"
