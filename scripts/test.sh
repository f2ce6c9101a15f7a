#!/usr/bin/env bash
# Runs every test: the Swift suites (release mode: the golden-data tests load real models),
# a short fuzz run of the HTTP parser, schemathesis against a live server with openapi.yaml,
# the web console driven in headless Chromium (screenshots in .build/console-test/), and the
# deploy/ checks (promtool, hadolint, the Kubernetes schemas, a 3-replica fleet behind HAProxy
# scraped by Prometheus: scripts/deploy-checks.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d ../shared/corpora/kjv ]; then
  echo "test: ../shared (corpora and reference models) is missing next to the repository" >&2
  exit 1
fi

echo "== swift test (release)"
swift build -c release -Xswiftc -enable-testing --build-tests
log=$(mktemp)
set +e
swift test -c release -Xswiftc -enable-testing --skip-build >"$log" 2>&1
status=$?
set -e
# Failures in full, then the runner's closing line (all suites use swift-testing; XCTest's
# "Executed 0 tests" lines are left out).
grep -E '✘|error:|Fatal error' "$log" | head -200 || true
grep -E 'Test run with' "$log" | tail -1 || true
[ "$status" -eq 0 ] || { echo "test: swift test failed" >&2; exit "$status"; }

if [ -x Fuzz/run.sh ]; then
  echo "== fuzz (short)"
  Fuzz/run.sh 0 30
fi
if [ -x Fuzz/kenlm.sh ]; then
  echo "== fuzz KenLM binary readers (short)"
  Fuzz/kenlm.sh 0 30
fi

if [ -x scripts/schemathesis.sh ]; then
  echo "== schemathesis"
  scripts/schemathesis.sh
fi
echo "== web console (headless Chromium)"
python3 scripts/console-test.py
if [ -x scripts/deploy-checks.sh ]; then
  echo "== deploy checks"
  LMSERVE_BIN=.build/release/lmserve scripts/deploy-checks.sh
fi
echo "test: all passed"
