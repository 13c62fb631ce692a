#!/usr/bin/env bash
# mbox -> Maildir with mailferry, for the peer harness (a `tool` line runs this).
#   mailferry-mbox.sh per-file BIN CORPUS DEST   one `mailferry copy` per mbox file, --to-folder its
#                                                folder (what `doveadm import` is run as)
#   mailferry-mbox.sh tree BIN CORPUS DEST       one `mailferry copy` of a Thunderbird-style tree
#                                                (Name + Name.sbd/) hard-linked from the corpus files
# Each copy keeps its checkpoint (MailFerry's default) in the harness's per-tool $STATE directory,
# which the harness empties before every full run.
set -euo pipefail
mode=$1 bin=$2 corpus=$3 dest=$4
map() {  # mbox file <TAB> folder, from the corpus manifest
    python3 -c 'import json,sys; m=json.load(open(sys.argv[1]));
for f, folder in sorted(m["mbox_files"].items()): print(f + "\t" + folder)' "$corpus/manifest.json"
}
case "$mode" in
    per-file)
        n=0
        while IFS=$'\t' read -r file folder; do
            n=$((n + 1))
            "$bin" copy "mbox:$corpus/mbox/$file" "maildir:$dest" --to-folder "$folder" --checkpoint "$STATE/checkpoint-$n.sqlite" --quiet > /dev/null
        done < <(map) ;;
    tree)
        tree="$corpus/mbox-tree"
        if [ ! -d "$tree" ]; then
            rm -rf "$tree.tmp"
            while IFS=$'\t' read -r file folder; do
                target="$tree.tmp/$(python3 -c 'import sys; p=sys.argv[1].split("/"); print("/".join([c + ".sbd" for c in p[:-1]] + [p[-1]]))' "$folder")"
                mkdir -p "$(dirname "$target")"
                ln "$corpus/mbox/$file" "$target"
            done < <(map)
            mv "$tree.tmp" "$tree"
        fi
        "$bin" copy "mbox:$tree" "maildir:$dest" --checkpoint "$STATE/checkpoint.sqlite" --quiet > /dev/null ;;
    *) echo "unknown mode $mode" >&2; exit 2 ;;
esac
