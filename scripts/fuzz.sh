#!/usr/bin/env bash
# Fuzzes the IMAP response parser with libFuzzer (bundled with the Swift toolchain) and
# AddressSanitizer, starting from the seeds in Fuzzing/imap-response-seeds.
#
#   scripts/fuzz.sh [SECONDS]      default 600 (ten minutes); prints libFuzzer's final stats
#
# The growing corpus is kept in .build-fuzz/corpus (not committed); crashes are written to
# .build-fuzz/crash-* and can be replayed with the normal build: .build/debug/IMAPResponseFuzzer FILE
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
scripts/install-build-deps.sh
timeout 1800 swift build --product IMAPResponseFuzzer --scratch-path .build-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING >&2
mkdir -p .build-fuzz/corpus
cd .build-fuzz
timeout $((seconds + 120)) ./debug/IMAPResponseFuzzer -max_total_time="$seconds" -print_final_stats=1 \
    -rss_limit_mb=1024 -timeout=10 corpus ../Fuzzing/imap-response-seeds 2>&1 | tail -25
