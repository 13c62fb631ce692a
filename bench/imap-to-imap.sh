#!/usr/bin/env bash
# Benchmark: IMAP → IMAP between two users of a private Dovecot on 127.0.0.1, side by side in one
# run with mbsync (plaintext and TLS), and Dovecot's own migration path (`doveadm backup` with
# imapc) as the ceiling. Prints wall time, messages/s, MB/s, CPU, peak RSS and whether the
# destination matches the source (folders, counts, flags and keywords, sizes, INTERNALDATE).
#
#   bench/imap-to-imap.sh [--size tiny|small|large] [--runs N] [--wan]
#
# --wan runs the same comparison over a 40 ms round-trip link (the harness's wan.sh: server and
# clients in a private network namespace whose loopback delays every packet).
# Drives the shared peer harness (../shared/bench, or $MAILFERRY_BENCH_HARNESS); needs root.
set -euo pipefail

size=small runs=3 wan=0
while [ $# -gt 0 ]; do
    case "$1" in
        --size) size=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --wan) wan=1; shift ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done

. "$(dirname "$0")/common.sh"
tools="$BENCH_CACHE/tools.mailferry-imap.conf"
cat > "$tools" <<CONF
# Written by $repo/bench/imap-to-imap.sh
tool mailferry imap 'MAILFERRY_SOURCE_PASSWORD=\$PASS MAILFERRY_DEST_PASSWORD=\$PASS "$bin" copy imap://\$SRC_USER@\$HOST:\$IMAP_PORT imap://\$DST_USER@\$HOST:\$IMAP_PORT --ca-file "\$CACERT" --quiet'
CONF
export BENCH_TOOLS_LOCAL="$tools"
only=mailferry,mbsync,mbsync-tls,doveadm-imapc
if [ "$wan" = 1 ]; then
    run_harness "$BENCH_CACHE/imap-to-imap.log" "$harness/wan.sh" run --size "$size" --runs "$runs" --phases full --only "$only"
else
    run_harness "$BENCH_CACHE/imap-to-imap.log" "$harness/run.sh" --size "$size" --runs "$runs" --phases full --only "$only"
fi
