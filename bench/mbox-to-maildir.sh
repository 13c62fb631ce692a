#!/usr/bin/env bash
# Benchmark: mbox -> Maildir on the generated 2,000-message (~98 MB) corpus, side by side in one
# run with Dovecot's `doveadm import`, Python's `mailbox` module, and the disk limits (`cat` of
# the mbox files, `cp -a` of the finished Maildir). Prints wall time, messages/s, MB/s, CPU and
# peak RSS per tool, and whether the destination matches the source (checked with doveadm).
#
#   bench/mbox-to-maildir.sh [--size tiny|small|large] [--runs N]
#
# It drives the shared peer harness (../shared/bench, or $MAILFERRY_BENCH_HARNESS), which
# installs Dovecot and the peers, generates the corpus and verifies every tool's result.
# Needs root (the harness runs a private Dovecot). Results: the harness's results/<size>/table.md.
set -euo pipefail

size=small runs=3
while [ $# -gt 0 ]; do
    case "$1" in
        --size) size=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done

. "$(dirname "$0")/common.sh"
tools="$BENCH_CACHE/tools.mailferry-mbox.conf"
cat > "$tools" <<CONF
# Written by $repo/bench/mbox-to-maildir.sh
tool mailferry-per-file mbox '"$here/tools/mailferry-mbox.sh" per-file "$bin" "\$CORPUS" "\$DST_MAILDIR"'
tool mailferry-one-run  mbox '"$here/tools/mailferry-mbox.sh" tree "$bin" "\$CORPUS" "\$DST_MAILDIR"'
CONF
export BENCH_TOOLS_LOCAL="$tools"
run_harness "$BENCH_CACHE/mbox-to-maildir.log" "$harness/run.sh" --size "$size" --runs "$runs" --phases full \
    --only mailferry-per-file,mailferry-one-run,mbox-doveadm-import,mbox-python-mailbox,ceil-cat-mbox,ceil-cp-maildir
