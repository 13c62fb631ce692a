#!/usr/bin/env bash
# Benchmark: archiving a Maildir into a .tar.zst, side by side in one run with
# `tar --zstd -cf` of the same directory (the floor: no manifest, no hashing, no read-back).
# MailFerry runs the real periodic job — `mailferry archive --before 2100-01-01` with every
# message included, its checkpoint, the manifest, the fsync and the full read-back
# verification — into an empty directory each time. Prints wall time, CPU, peak RSS and archive
# size per tool (median of --runs), and checks the archive holds every message.
#
#   bench/maildir-to-archive.sh [--size tiny|small|large] [--runs N] [--format tar.zst|tar.gz|tar.xz|zip]
#
# The corpus is the shared harness's (gen_corpus.py), generated once into $BENCH_CACHE.
set -euo pipefail

size=small runs=5 format=tar.zst
while [ $# -gt 0 ]; do
    case "$1" in
        --size) size=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --format) format=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
harness="${MAILFERRY_BENCH_HARNESS:-$repo/../shared/bench}"
[ -f "$harness/gen_corpus.py" ] || { echo "peer harness not found at $harness (set MAILFERRY_BENCH_HARNESS)" >&2; exit 2; }
export BENCH_CACHE="${BENCH_CACHE:-/var/tmp/mailferry-bench}"
mkdir -p "$BENCH_CACHE"

"$repo/scripts/install-build-deps.sh"
(cd "$repo" && timeout 1800 swift build -c release --static-swift-stdlib --product mailferry >&2)
bin="$(cd "$repo" && swift build -c release --static-swift-stdlib --show-bin-path)/mailferry"

corpus="$BENCH_CACHE/corpus-$size"
if [ ! -d "$corpus/maildir" ]; then
    echo "Generating the $size corpus into $corpus ..." >&2
    timeout 1800 python3 "$harness/gen_corpus.py" build --size "$size" --out "$corpus" >&2
fi
messages=$(find "$corpus/maildir" -path '*/cur/*' -type f -o -path '*/new/*' -type f | wc -l)
bytes=$(find "$corpus/maildir" \( -path '*/cur/*' -o -path '*/new/*' \) -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
work="$BENCH_CACHE/archive-bench"
rm -rf "$work"
mkdir -p "$work"

case "$format" in
    tar.zst) tarflag=--zstd ;;
    tar.gz) tarflag=--gzip ;;
    tar.xz) tarflag=--xz ;;
    *) tarflag="" ;;
esac

# run_one TOOL RUN: times one run; appends "tool wall user sys rss_kb size" to $work/results.
run_one() {
    local tool=$1 run=$2 out="$work/$1-$2" rc=0
    rm -rf "$out"
    mkdir -p "$out"
    sync
    echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
    case "$tool" in
        mailferry)
            timeout 600 /usr/bin/time -f '%e %U %S %M' -o "$out/time" "$bin" archive "maildir:$corpus/maildir" \
                --before 2100-01-01 --include-unread --include-flagged --to "$out/volumes" \
                --name "mail.$format" --checkpoint "$out/job.sqlite" --quiet > "$out/report" || rc=$?
            file="$out/volumes/mail.$format" ;;
        tar)
            [ -n "$tarflag" ] || { echo "tar row needs a tar.* format" >&2; return; }
            timeout 600 /usr/bin/time -f '%e %U %S %M' -o "$out/time" tar $tarflag -cf "$out/mail.$format" \
                -C "$corpus" maildir || rc=$?
            file="$out/mail.$format" ;;
    esac
    [ "$rc" = 0 ] || { echo "$tool run $run failed (exit $rc)" >&2; cat "$out/report" 2>/dev/null >&2; return; }
    echo "$tool $(cat "$out/time") $(stat -c %s "$file")" >> "$work/results"
    if [ "$tool" = mailferry ]; then
        "$bin" verify "archive:$file" --json > "$out/verify.json" || echo "mailferry run $run: verify failed" >&2
        grep -q "\"messages\" : $messages," "$out/verify.json" || echo "mailferry run $run: the archive does not hold $messages messages" >&2
    fi
    rm -rf "$out/volumes" "$out"/mail.*
}

echo "Corpus: $size, $messages messages, $((bytes / 1000000)) MB in $corpus/maildir; format $format; $runs runs each" >&2
for run in $(seq 1 "$runs"); do
    for tool in mailferry tar; do run_one "$tool" "$run"; done
done

python3 - "$work/results" "$messages" "$bytes" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    tool, wall, user, sys_, rss, size = line.split()
    rows.setdefault(tool, []).append((float(wall), float(user) + float(sys_), int(rss), int(size)))
messages, total = int(sys.argv[2]), int(sys.argv[3])
print(f"| tool | wall (median) | msgs/s | MB/s | CPU s | peak RSS | archive size |")
print(f"|---|---|---|---|---|---|---|")
for tool, runs in rows.items():
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    rss = max(r[2] for r in runs) / 1024
    size = statistics.median(r[3] for r in runs) / 1e6
    print(f"| {tool} | {wall:.2f} s (n={len(runs)}, {min(r[0] for r in runs):.2f}–{max(r[0] for r in runs):.2f}) | {messages / wall:.0f} | {total / 1e6 / wall:.1f} | {cpu:.2f} | {rss:.1f} MiB | {size:.1f} MB |")
if "mailferry" in rows and "tar" in rows:
    ratio = statistics.median(r[0] for r in rows["mailferry"]) / statistics.median(r[0] for r in rows["tar"])
    print(f"\nmailferry / tar wall-time ratio: {ratio:.2f} (target ≤ 1.5); peak RSS target < 64 MiB")
PY
