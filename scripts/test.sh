#!/usr/bin/env bash
# Quick start, step 2: install what the tests need, start the private test Dovecot, run the whole
# suite and (without arguments) a short kill-and-resume soak, stop the server. This is also what CI runs (.ci/run).
# Extra arguments go to `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-build-deps.sh
scripts/test-server.sh start
trap 'scripts/test-server.sh stop' EXIT
eval "$(scripts/test-server.sh env)"

echo "Building MailFerry and its tests..." >&2
timeout 2400 swift build --build-tests
echo "Running the tests (integration tests use the test Dovecot on 127.0.0.1)..." >&2
timeout 1800 swift test --skip-build "$@"
if [ $# -eq 0 ]; then
    echo "A short kill-and-resume soak (scripts/soak.sh; the full one kills 50 times)..." >&2
    MAILFERRY_BIN="$(swift build --show-bin-path)/mailferry" timeout 600 scripts/soak.sh --kills 8 --messages 400 --minutes 8
fi
