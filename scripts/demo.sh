#!/usr/bin/env bash
# Quick start, step 1: install build dependencies, build MailFerry, and copy the bundled sample
# mailbox (samples/sample.mbox: 7 messages with varied flags and keywords) into a new Maildir,
# printing the copy report and the resulting folders, then runs the same copy again: the job's
# checkpoint (out/demo-checkpoint.sqlite) says everything is there, so there is nothing to do.
#   scripts/demo.sh [TARGET_DIR]     (default: out/demo-Maildir, replaced on each run)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-build-deps.sh
echo "Building mailferry (first build takes a minute or two)..." >&2
timeout 1800 swift build --product mailferry >&2
bin="$(swift build --show-bin-path)/mailferry"

target="${1:-out/demo-Maildir}"
checkpoint="$(dirname "$target")/demo-checkpoint.sqlite"
rm -rf "$target" "$checkpoint" "$checkpoint".*
mkdir -p "$(dirname "$target")"

echo "\$ mailferry copy mbox:samples/sample.mbox maildir:$target --checkpoint $checkpoint"
"$bin" copy mbox:samples/sample.mbox "maildir:$target" --checkpoint "$checkpoint"
echo
echo "\$ mailferry copy mbox:samples/sample.mbox maildir:$target --checkpoint $checkpoint    # again"
"$bin" copy mbox:samples/sample.mbox "maildir:$target" --checkpoint "$checkpoint"
echo
echo "\$ mailferry folders maildir:$target"
"$bin" folders "maildir:$target"
echo
echo "\$ ls $target/cur    # flags are the letters after :2, (keyword letters: $target/dovecot-keywords)"
ls "$target/cur"
