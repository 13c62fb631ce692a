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
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
harness="${MAILFERRY_BENCH_HARNESS:-$repo/../shared/bench}"
[ -x "$harness/run.sh" ] || { echo "peer harness not found at $harness (set MAILFERRY_BENCH_HARNESS)" >&2; exit 2; }
harness="$(cd "$harness" && pwd)"

size=small runs=3 wan=0
while [ $# -gt 0 ]; do
    case "$1" in
        --size) size=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --wan) wan=1; shift ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done

"$repo/scripts/install-build-deps.sh"
(cd "$repo" && timeout 1800 swift build -c release --product mailferry >&2)
bin="$(cd "$repo" && swift build -c release --show-bin-path)/mailferry"

# Dovecot's unprivileged processes must reach the harness's files: keep them out of /root.
export BENCH_CACHE="${BENCH_CACHE:-/var/tmp/mailferry-bench}"
mkdir -p "$BENCH_CACHE"
tools="$BENCH_CACHE/tools.mailferry-imap.conf"
cat > "$tools" <<CONF
# Written by $repo/bench/imap-to-imap.sh
tool mailferry imap 'MAILFERRY_SOURCE_PASSWORD=\$PASS MAILFERRY_DEST_PASSWORD=\$PASS "$bin" copy imap://\$SRC_USER@\$HOST:\$IMAP_PORT imap://\$DST_USER@\$HOST:\$IMAP_PORT --ca-file "\$CACERT" --quiet'
CONF
export BENCH_TOOLS_LOCAL="$tools"
only=mailferry,mbsync,mbsync-tls,doveadm-imapc
log="$BENCH_CACHE/imap-to-imap.log"
if [ "$wan" = 1 ]; then
    "$harness/wan.sh" run --size "$size" --runs "$runs" --phases full --only "$only" 2> >(tee "$log" >&2)
else
    "$harness/run.sh" --size "$size" --runs "$runs" --phases full --only "$only" 2> >(tee "$log" >&2)
fi
sleep 1
if ! grep -qE 'source: [1-9][0-9]* msgs' "$log"; then
    echo "WARNING: Dovecot did not see the source corpus; the correctness column is meaningless" >&2
    exit 1
fi
