#!/usr/bin/env bash
# Benchmark: POP3 → Maildir (the source user's INBOX into an empty Maildir), side by side in one
# run with mpop, getmail6 and fetchmail (delivering through dovecot-lda), against a private
# Dovecot on 127.0.0.1. Prints wall time, messages/s, MB/s, CPU, peak RSS and whether the Maildir
# matches the source INBOX; then (with the default phases) a no-op rerun and a +1 % rerun per tool.
# MailFerry runs over TLS (pop3s://, verified against the harness's certificate: it never logs
# in without TLS), keeping its checkpoint; the peers run in plaintext, as the harness configures
# them, and mpop-tls is mpop over TLS (pop3s, certificate verified) for a like-for-like row.
#
#   bench/pop3-to-maildir.sh [--size tiny|small|large] [--runs N] [--wan] [--phases full,noop,incr]
#                            [--only mailferry-pop3,mpop,mpop-tls,getmail,fetchmail-lda]
#
# --wan runs the same comparison over a 40 ms round-trip link (the harness's wan.sh).
# Drives the shared peer harness (../shared/bench, or $MAILFERRY_BENCH_HARNESS); needs root.
set -euo pipefail

size=small runs=3 wan=0 phases=full,noop,incr only=mailferry-pop3,mpop,mpop-tls,getmail,fetchmail-lda
while [ $# -gt 0 ]; do
    case "$1" in
        --size) size=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --wan) wan=1; shift ;;
        --phases) phases=$2; shift 2 ;;
        --only) only=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done

. "$(dirname "$0")/common.sh"
tools="$BENCH_CACHE/tools.mailferry-pop3.conf"
cat > "$tools" <<CONF
# Written by $repo/bench/pop3-to-maildir.sh
tool mailferry-pop3 pop3 'MAILFERRY_SOURCE_PASSWORD=\$PASS "$bin" copy pop3s://\$SRC_USER@\$HOST:\$POP3S_PORT maildir:\$DST_MAILDIR --ca-file "\$CACERT" --checkpoint "\$STATE/checkpoint.sqlite" --quiet'
tool mpop-tls pop3 'sed -e "s|^tls off|tls on\\ntls_starttls off\\ntls_trust_file \$CACERT|" -e "s|^port .*|port \$POP3S_PORT|" -e "s|^uidls_file .*|uidls_file \$STATE/uidls|" "\$CONF_DIR/mpoprc" > "\$STATE/mpoprc-tls" && chown benchmail: "\$STATE" "\$STATE/mpoprc-tls" && chmod 600 "\$STATE/mpoprc-tls" && runuser -u benchmail -- env HOME="\$STATE" mpop -C "\$STATE/mpoprc-tls" -q bench'
CONF
export BENCH_TOOLS_LOCAL="$tools"
if [ "$wan" = 1 ]; then
    run_harness "$BENCH_CACHE/pop3-to-maildir.log" "$harness/wan.sh" run --size "$size" --runs "$runs" --phases "$phases" --only "$only"
else
    run_harness "$BENCH_CACHE/pop3-to-maildir.log" "$harness/run.sh" --size "$size" --runs "$runs" --phases "$phases" --only "$only"
fi
