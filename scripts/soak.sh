#!/usr/bin/env bash
# Kill-and-resume soak: proves "exactly once" for a real IMAP -> IMAP migration.
#
#   scripts/soak.sh [--kills N] [--messages M] [--minutes T]
#       N  kill -9 interruptions in total (default 50)
#       M  messages in the source account, over three folders (default 2000)
#       T  wall-clock bound for the whole soak (default 30)
#
# Seeds the test Dovecot's `soaksrc` account with M generated messages (flags, keywords, sizes
# from 300 bytes to ~300 KB), then runs rounds: empty `soakdst` and the checkpoint, start
# `mailferry copy imaps://soaksrc imaps://soakdst`, SIGKILL it at a random moment, resume, kill
# again... until a run finishes; then `mailferry verify --exact` must report every message
# exactly once with the same flags and dates. Rounds repeat until N kills have landed.
# Starts the test server (scripts/test-server.sh) when it is not running and stops it again.
# Exit 0 when every round verified, 1 otherwise. Uses the debug build unless MAILFERRY_BIN is set.
set -euo pipefail
cd "$(dirname "$0")/.."

kills_wanted=50 messages=2000 minutes=30
while [ $# -gt 0 ]; do
    case "$1" in
        --kills) kills_wanted=$2; shift 2 ;;
        --messages) messages=$2; shift 2 ;;
        --minutes) minutes=$2; shift 2 ;;
        *) sed -n '2,16p' "$0"; exit 2 ;;
    esac
done

sudo=()
[ "$(id -u)" -ne 0 ] && sudo=(sudo)
started_server=false
if ! scripts/test-server.sh status >/dev/null 2>&1; then
    scripts/test-server.sh start
    started_server=true
fi
work=$(mktemp -d /tmp/mailferry-soak.XXXXXX)
cleanup() {
    rm -rf "$work"
    if $started_server; then scripts/test-server.sh stop; fi
}
trap cleanup EXIT
eval "$(scripts/test-server.sh env)"
mail_root="$(dirname "$MAILFERRY_TEST_DOVECOT_CONF")/../mail"

if [ -z "${MAILFERRY_BIN:-}" ]; then
    timeout 1800 swift build --product mailferry >&2
    MAILFERRY_BIN="$(swift build --show-bin-path)/mailferry"
fi
export MAILFERRY_SOURCE_PASSWORD=$MAILFERRY_TEST_PASSWORD MAILFERRY_DEST_PASSWORD=$MAILFERRY_TEST_PASSWORD
export XDG_STATE_HOME="$work/state"
server="$MAILFERRY_TEST_IMAP_HOST:$MAILFERRY_TEST_IMAPS_PORT"
source_url="imaps://soaksrc@$server" destination_url="imaps://soakdst@$server"
checkpoint="$work/checkpoint.sqlite"
ca=(--ca-file "$MAILFERRY_TEST_CA_FILE")
began=$(date +%s)
deadline=$(( began + minutes * 60 ))
now_ms() { date +%s%3N; }

# One mbox per folder; every 97th message carries a ~300 KB part so kills land mid-literal too.
generate() { # folder count seed
    awk -v count="$2" -v seed="$3" -v folder="$1" 'BEGIN {
        srand(seed)
        for (i = 1; i <= count; i++) {
            printf "From soak@example.org Mon Jan %2d 10:%02d:00 2024\n", (i % 28) + 1, i % 60
            printf "From: Soak Sender <sender%d@example.org>\nTo: soak@example.org\n", i % 37
            printf "Subject: %s message %d\n", folder, i
            printf "Date: Mon, %d Jan 2024 10:%02d:00 +0000\n", (i % 28) + 1, i % 60
            printf "Message-ID: <soak-%s-%d-%d@example.org>\n", folder, seed, i
            if (i % 3 == 0) printf "Status: RO\n"
            if (i % 11 == 0) printf "X-Status: F\n"
            if (i % 13 == 0) printf "X-Keywords: $Forwarded Soak\n"
            printf "\n"
            lines = (i % 97 == 0) ? 4000 : 3 + int(rand() * 120)
            for (l = 0; l < lines; l++) printf "line %d of message %d in %s, padding padding padding padding\n", l, i, folder
            printf "\n"
        }
    }'
}

echo "Seeding soaksrc with $messages messages..." >&2
"${sudo[@]}" rm -rf "$mail_root/soaksrc/Maildir" "$mail_root/soakdst/Maildir"
mkdir -p "$work/seed"
generate INBOX $(( messages / 2 )) 1 > "$work/seed/INBOX"
generate Archive $(( messages * 3 / 10 )) 2 > "$work/seed/Archive"
generate Lists $(( messages - messages / 2 - messages * 3 / 10 )) 3 > "$work/seed/Lists"
"$MAILFERRY_BIN" copy "mbox:$work/seed/" "$source_url" "${ca[@]}" --no-checkpoint --quiet > /dev/null

reset_destination() {
    "${sudo[@]}" rm -rf "$mail_root/soakdst/Maildir"
    rm -f "$checkpoint" "$checkpoint".*
}
copy_command=("$MAILFERRY_BIN" copy "$source_url" "$destination_url" "${ca[@]}" --checkpoint "$checkpoint" --quiet)

echo "Timing one uninterrupted copy..." >&2
reset_destination
start=$(now_ms)
"${copy_command[@]}" > /dev/null
full_ms=$(( $(now_ms) - start ))
echo "  $messages messages in $full_ms ms" >&2

kills=0 rounds=0 failures=0 runs=0
while [ "$kills" -lt "$kills_wanted" ] && [ "$(date +%s)" -lt "$deadline" ]; do
    rounds=$((rounds + 1))
    reset_destination
    round_kills=0
    for attempt in $(seq 1 200); do
        [ "$(date +%s)" -lt "$deadline" ] || break
        runs=$((runs + 1))
        "${copy_command[@]}" > "$work/run.out" 2>&1 &
        pid=$!
        delay_ms=$(( 50 + (RANDOM * 32768 + RANDOM) % (full_ms + 1) ))
        if [ "$kills" -ge "$kills_wanted" ]; then delay_ms=$(( 600 * 1000 )); fi
        waited=0
        while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt "$delay_ms" ]; do sleep 0.02; waited=$((waited + 20)); done
        if kill -9 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null || true
            kills=$((kills + 1)) round_kills=$((round_kills + 1))
            continue
        fi
        status=0
        wait "$pid" || status=$?
        if [ "$status" -ne 0 ]; then
            echo "round $rounds: a resumed copy exited $status:" >&2
            cat "$work/run.out" >&2
            failures=$((failures + 1))
        fi
        break
    done
    if "$MAILFERRY_BIN" verify "$source_url" "$destination_url" "${ca[@]}" --exact > "$work/verify.out" 2>&1; then
        echo "round $rounds: $round_kills kills, verified exactly once ($kills/$kills_wanted kills so far)"
    else
        echo "round $rounds: $round_kills kills, VERIFY FAILED:" >&2
        cat "$work/verify.out" >&2
        failures=$((failures + 1))
    fi
done

echo "soak: $messages messages, $rounds rounds, $runs runs, $kills kill -9 interruptions, $failures failures, $(( $(date +%s) - began )) s, $(date -u +%Y-%m-%d)"
[ "$failures" -eq 0 ] && [ "$kills" -ge "$kills_wanted" ]
