#!/usr/bin/env bash
# Runs each SDK's own unit tests with its own ecosystem's tool (tsc + node --test, pytest, Maven
# Surefire, go test), one after the other, and fails if any suite fails. Called by
# scripts/run-tests.mjs; name suites to run only those: `bash sdk/run-tests.sh python go`.
set -uo pipefail

sdk="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$sdk")"
suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(node python java go)

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "$1 is not on PATH; it is needed for the $2 SDK tests" >&2; return 1; }
}

node_suite() {
  need node node || return 1
  cd "$sdk/node" || return 1
  # The repo's own TypeScript builds the SDK; a clone without the repo's node_modules gets the
  # SDK's dev dependencies from npm instead.
  local tsc="$root/node_modules/.bin/tsc"
  if [ ! -x "$tsc" ]; then
    tsc="$sdk/node/node_modules/.bin/tsc"
    if [ ! -x "$tsc" ]; then
      need npm node || return 1
      npm install --no-audit --no-fund --no-package-lock --silent || return 1
    fi
  fi
  rm -rf dist
  "$tsc" -p tsconfig.json && node --test --test-reporter=spec dist/test/*.test.js
}

python_suite() {
  need python3 python || return 1
  cd "$sdk/python" || return 1
  if ! python3 -c 'import pytest' >/dev/null 2>&1; then
    python3 -m pip install --quiet pytest || return 1
  fi
  python3 -m pytest -q
}

java_suite() {
  need mvn java || return 1
  cd "$sdk/java" || return 1
  # Quiet and batch mode; Debian's Maven 3.8 still prints bare colour resets, which are stripped.
  mvn -q -B test 2>&1 | sed 's/\x1b\[0m//g'
}

go_suite() {
  need go go || return 1
  cd "$sdk/go" || return 1
  # -race: the replica loop and its test fake share state across goroutines.
  go vet ./... && go test -race -count=1 ./...
}

failed=()
for suite in "${suites[@]}"; do
  echo "-- sdk/$suite"
  case "$suite" in
    node | python | java | go) ("${suite}_suite") || failed+=("$suite") ;;
    *) echo "unknown suite $suite (node, python, java, go)" >&2; failed+=("$suite") ;;
  esac
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "sdk suites failed: ${failed[*]}" >&2
  exit 1
fi
echo "sdk suites passed: ${suites[*]}"
