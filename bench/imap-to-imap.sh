#!/usr/bin/env bash
# Benchmark: IMAP → IMAP between two users of a private Dovecot on 127.0.0.1, side by side in one
# run with mbsync (plaintext and TLS), and Dovecot's own migration path (`doveadm backup` with
# imapc) as the ceiling. Prints wall time, messages/s, MB/s, CPU, peak RSS and whether the
# destination matches the source (folders, counts, flags and keywords, sizes, INTERNALDATE).
# MailFerry runs twice: `mailferry` keeps its checkpoint (the default), `mailferry-nocp` runs
# with --no-checkpoint, so the checkpoint's cost is the difference; `mailferry-norepair` keeps the
# checkpoint and sends bytes as they are (--no-repair), so repair's cost is the difference.
#
#   bench/imap-to-imap.sh [--size tiny|small|large] [--runs N] [--wan]
#   bench/imap-to-imap.sh --reruns [--size large]
#
# --wan runs the same comparison over a 40 ms round-trip link (the harness's wan.sh: server and
# clients in a private network namespace whose loopback delays every packet).
# --reruns measures, after one full copy, the no-op rerun and a +1 % incremental rerun of
# MailFerry (with its checkpoint) and mbsync (with its sync state), default on the large corpus.
# Drives the shared peer harness (../shared/bench, or $MAILFERRY_BENCH_HARNESS); needs root.
set -euo pipefail

size="" runs=3 wan=0 reruns=0
while [ $# -gt 0 ]; do
    case "$1" in
        --size) size=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --wan) wan=1; shift ;;
        --reruns) reruns=1; shift ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ -z "$size" ]; then size=small; [ "$reruns" = 1 ] && size=large; fi

. "$(dirname "$0")/common.sh"
tools="$BENCH_CACHE/tools.mailferry-imap.conf"
cat > "$tools" <<CONF
# Written by $repo/bench/imap-to-imap.sh
tool mailferry imap 'MAILFERRY_SOURCE_PASSWORD=\$PASS MAILFERRY_DEST_PASSWORD=\$PASS "$bin" copy imap://\$SRC_USER@\$HOST:\$IMAP_PORT imap://\$DST_USER@\$HOST:\$IMAP_PORT --ca-file "\$CACERT" --checkpoint "\$STATE/checkpoint.sqlite" --quiet'
tool mailferry-nocp imap 'MAILFERRY_SOURCE_PASSWORD=\$PASS MAILFERRY_DEST_PASSWORD=\$PASS "$bin" copy imap://\$SRC_USER@\$HOST:\$IMAP_PORT imap://\$DST_USER@\$HOST:\$IMAP_PORT --ca-file "\$CACERT" --no-checkpoint --quiet'
tool mailferry-norepair imap 'MAILFERRY_SOURCE_PASSWORD=\$PASS MAILFERRY_DEST_PASSWORD=\$PASS "$bin" copy imap://\$SRC_USER@\$HOST:\$IMAP_PORT imap://\$DST_USER@\$HOST:\$IMAP_PORT --ca-file "\$CACERT" --checkpoint "\$STATE/checkpoint.sqlite" --no-repair --quiet'
CONF
export BENCH_TOOLS_LOCAL="$tools"
only=mailferry,mailferry-nocp,mailferry-norepair,mbsync,mbsync-tls,doveadm-imapc
if [ "$reruns" = 1 ]; then
    run_harness "$BENCH_CACHE/imap-reruns.log" "$harness/run.sh" --size "$size" --runs 1 --phases full,noop,incr --only mailferry,mbsync
elif [ "$wan" = 1 ]; then
    run_harness "$BENCH_CACHE/imap-to-imap.log" "$harness/wan.sh" run --size "$size" --runs "$runs" --phases full --only "$only"
else
    run_harness "$BENCH_CACHE/imap-to-imap.log" "$harness/run.sh" --size "$size" --runs "$runs" --phases full --only "$only"
fi
