#!/usr/bin/env bash
# winnow-cat vs `zstdcat | jq -c .` on mixed-real-text (52 MB of JSONL):
# MB/s of JSONL in and out, median of 5, pinned to one CPU, same run.
. "$(dirname "$0")/../tests/lib.sh"; . "$(dirname "$0")/lib.sh"
f=$(wn_data jsonl/mixed-real-text.jsonl.zst) || exit 1
zstd -qdc "$f" >"$WN_TMP/m.jsonl"; bytes=$(stat -c %s "$WN_TMP/m.jsonl")
w_plain=$(median_secs 5 "taskset -c 0 $BIN/winnow-cat $WN_TMP/m.jsonl >/dev/null")
w_zst=$(median_secs 5 "taskset -c 0 $BIN/winnow-cat $f >/dev/null")
jq_zst=$(median_secs 3 "zstdcat $f | taskset -c 0 jq -c . >/dev/null")
jq_plain=$(median_secs 3 "taskset -c 0 jq -c . $WN_TMP/m.jsonl >/dev/null")
echo "| cat: JSONL plain, 1 core | $(rate $bytes $w_plain) MB/s | jq -c: $(rate $bytes $jq_plain) MB/s | $(ratio $jq_plain $w_plain)x | median of 5 (jq 3); goal >= 300 MB/s |"
echo "| cat: JSONL .zst, 1 core | $(rate $bytes $w_zst) MB/s | zstdcat\\|jq -c: $(rate $bytes $jq_zst) MB/s | $(ratio $jq_zst $w_zst)x | decompression included |"
