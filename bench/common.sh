# Shared by the bench/*.sh scripts (sourced): finds the peer harness, builds MailFerry in
# release mode, and runs the harness with a tools file, checking Dovecot saw the corpus.
# Sets: repo, harness, bin, BENCH_CACHE.
here="$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
harness="${MAILFERRY_BENCH_HARNESS:-$repo/../shared/bench}"
[ -x "$harness/run.sh" ] || { echo "peer harness not found at $harness (set MAILFERRY_BENCH_HARNESS)" >&2; exit 2; }
harness="$(cd "$harness" && pwd)"

"$repo/scripts/install-build-deps.sh"
(cd "$repo" && timeout 1800 swift build -c release --static-swift-stdlib --product mailferry >&2)
bin="$(cd "$repo" && swift build -c release --static-swift-stdlib --show-bin-path)/mailferry"

# Dovecot's unprivileged processes must reach the harness's files: keep them out of /root.
export BENCH_CACHE="${BENCH_CACHE:-/var/tmp/mailferry-bench}"
mkdir -p "$BENCH_CACHE"

# run_harness LOG COMMAND… — runs the harness, teeing its log; fails if Dovecot saw no corpus
# (a verification against an empty source would prove nothing).
run_harness() {
    local log=$1
    shift
    "$@" 2> >(tee "$log" >&2)
    sleep 1
    if ! grep -qE 'source: [1-9][0-9]* msgs' "$log"; then
        echo "WARNING: Dovecot did not see the source corpus; the correctness column is meaningless" >&2
        exit 1
    fi
}
