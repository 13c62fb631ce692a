#!/usr/bin/env bash
# Quick start, step 2: install what the tests need and run the whole suite.
# This is also what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-build-deps.sh
echo "Building MailFerry and its tests..." >&2
timeout 2400 swift build --build-tests
echo "Running the tests..." >&2
timeout 1800 swift test --skip-build "$@"
