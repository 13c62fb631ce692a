#!/usr/bin/env bash
# Fuzzes a response parser with libFuzzer (bundled with the Swift toolchain) and
# AddressSanitizer, starting from its seeds in Fuzzing/.
#
#   scripts/fuzz.sh [imap|pop3] [SECONDS]    default imap, 600 s; prints libFuzzer's final stats
#
# The growing corpus is kept in .build-fuzz/corpus-TARGET (not committed); crashes are written to
# .build-fuzz/crash-* and can be replayed with the normal build:
#   .build/debug/IMAPResponseFuzzer FILE    .build/debug/POP3ResponseFuzzer FILE
set -euo pipefail
cd "$(dirname "$0")/.."
target=imap
case "${1:-}" in imap|pop3) target=$1; shift ;; esac
seconds="${1:-600}"
case "$target" in
    imap) product=IMAPResponseFuzzer seeds=imap-response-seeds corpus=corpus ;;
    pop3) product=POP3ResponseFuzzer seeds=pop3-response-seeds corpus=corpus-pop3 ;;
esac
scripts/install-build-deps.sh
timeout 1800 swift build --product "$product" --scratch-path .build-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING >&2
mkdir -p ".build-fuzz/$corpus"
cd .build-fuzz
timeout $((seconds + 120)) "./debug/$product" -max_total_time="$seconds" -print_final_stats=1 \
    -rss_limit_mb=1024 -timeout=10 "$corpus" "../Fuzzing/$seeds" 2>&1 | tail -25
