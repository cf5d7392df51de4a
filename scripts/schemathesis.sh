#!/usr/bin/env bash
# Checks that the server and its OpenAPI document agree: Schemathesis generates requests from
# /openapi.json (valid and invalid ones, undeclared methods) against a fresh Pontoon on 127.0.0.1
# and runs every check on the answers. Fails on any failure; prints the number of cases.
#
#   scripts/schemathesis.sh [--max-examples N]     (default 25 cases per operation and phase)
#
# Needs Node (the project built: npm run build) and Python 3.9+; installs Schemathesis once under
# ~/.cache/pontoon. The run is bounded by the number of cases and by a timeout.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

version=4.32.5
max_examples=25
if [ "${1:-}" = "--max-examples" ]; then max_examples=$2; fi

home="${XDG_CACHE_HOME:-$HOME/.cache}/pontoon/schemathesis-$version"
# A venv where python3 -m venv works; else (Debian without python3-venv) pip's --target.
if [ ! -x "$home/bin/schemathesis" ] && [ ! -d "$home/site/schemathesis" ]; then
  echo "installing schemathesis $version into $home"
  rm -rf "$home"
  if python3 -m venv "$home" >/dev/null 2>&1; then
    "$home/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
  else
    rm -rf "$home"
    python3 -m pip install --quiet --disable-pip-version-check --target "$home/site" "schemathesis==$version"
  fi
fi
if [ -x "$home/bin/schemathesis" ]; then
  schemathesis=("$home/bin/schemathesis")
else
  schemathesis=(env PYTHONPATH="$home/site" python3 -c 'import sys; from schemathesis.cli import schemathesis; sys.argv[0] = "schemathesis"; sys.exit(schemathesis())')
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/pontoon-schemathesis.XXXXXX")
server=
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Auth on, as a shared server runs: an admin token in the data dir's tokens file, sent with every
# request (Schemathesis's ignored_auth check also sends requests without it and wants 401).
token=$(node "$root/bin/pontoon.js" token create --role admin --name schemathesis --data-dir "$work/data" 2>/dev/null)
node "$root/bin/pontoon.js" up --port 0 --host 127.0.0.1 --data-dir "$work/data" --log-level warn >"$work/server.log" 2>&1 &
server=$!
url=
for _ in $(seq 1 120); do
  url=$(sed -n 's/^Pontoon is up at \(http:\/\/[^ ]*:[0-9][0-9]*\).*/\1/p' "$work/server.log")
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; echo "pontoon did not start" >&2; exit 1; }
  sleep 0.5
done
[ -n "$url" ] || { cat "$work/server.log"; echo "pontoon did not start in 60 s" >&2; exit 1; }

# The document's examples name namespace `default`, function `hello` and rule `on-push`: they
# exist, so the examples phase reaches past the 404s.
cat >"$work/seed.mjs" <<'SEED'
const url = process.argv[2];
async function put(path, body) {
  const response = await fetch(url + path, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${process.argv[3]}` }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`PUT ${path}: ${response.status} ${await response.text()}`);
}
await put('/v1/namespaces/default/functions/hello', {
  apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name: 'hello' },
  spec: { runtime: 'command', command: ['true'], timeout: '10s' },
});
await put('/v1/namespaces/default/rules/on-push', { match: { type: 'com.example.push' }, function: 'hello' });
SEED
node "$work/seed.mjs" "$url" "$token"

# Run from the temp dir: Schemathesis keeps a cache of failures in its working directory. One
# worker: with two, Python 3.11 threads parsing ASTs at once broke a run ("AST constructor
# recursion depth mismatch" inside Hypothesis).
status=0
(cd "$work" && timeout 1200 "${schemathesis[@]}" --no-color --config-file "$root/scripts/schemathesis.toml" run "$url/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks all --max-examples "$max_examples" --phases examples,coverage,fuzzing,stateful \
  --workers 1 --seed 1 --request-timeout 30 --generation-database none \
  --report junit --report-junit-path "$work/junit.xml") >"$work/run.log" 2>&1 || status=$?
cat "$work/run.log"
cases=$(grep -Eo '[0-9]+ generated' "$work/run.log" | tail -1 | cut -d' ' -f1 || true)
echo "schemathesis: ${cases:-?} test cases, exit status $status"
if [ "$status" -ne 0 ]; then
  echo "server log:"
  tail -50 "$work/server.log"
fi
exit "$status"
