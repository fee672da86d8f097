#!/usr/bin/env bash
# winnow-cat on every real JSONL file: same record count, and every record
# equal to the input record as jq (an independent JSON parser) reads it.
# Then one 200 MB document through a pipe, in linear time.
. "$(dirname "$0")/../lib.sh"
for rel in jsonl/cc-2019-30-697docs.jsonl.zst jsonl/cc-2019-30-697docs.jsonl.gz \
           jsonl/dolma-multiple_files_cc_en_head-0091.jsonl.gz jsonl/dolma-provided_documents_000.json.gz \
           jsonl/mixed-real-text.jsonl.zst; do
  f=$(wn_data "$rel") || continue
  n=$(basename "$rel")
  "$BIN/winnow-cat" "$f" --stats "$WN_TMP/s.json" >"$WN_TMP/out.jsonl"; rc=$?
  check_eq "$n: exit status" "$rc" 0
  in_n=$(zcat -f "$f" 2>/dev/null | wc -l); case $f in *.zst) in_n=$(zstd -qdc "$f" | wc -l);; esac
  check_eq "$n: record count" "$(wc -l <"$WN_TMP/out.jsonl")" "$in_n"
  check_eq "$n: stats docs_in" "$(jq .docs_in "$WN_TMP/s.json")" "$in_n"
  check_eq "$n: stats docs_out" "$(jq .docs_out "$WN_TMP/s.json")" "$in_n"
  # same records (jq normalises both sides the same way)
  a=$(case $f in *.zst) zstd -qdc "$f";; *) zcat -f "$f";; esac | jq -cS . | md5sum)
  b=$(jq -cS . "$WN_TMP/out.jsonl" | md5sum)
  check_eq "$n: records equal under jq" "$b" "$a"
done

# one 200 MB document, generated on the fly, through a pipe
start=$(date +%s.%N)
/usr/bin/python3 -c '
import sys
chunk = ("Lorem ipsum dolor sit amet, \u00e9\u4e2d \\\"quoted\\\" \\n " * 1000)
sys.stdout.write("{\"id\":\"big\",\"text\":\"")
for _ in range(200 * 1024 * 1024 // len(chunk.encode())):
    sys.stdout.write(chunk)
sys.stdout.write("\"}\n{\"id\":\"after\",\"text\":\"x\"}\n")' | "$BIN/winnow-cat" --stats "$WN_TMP/big.json" | tail -n 1 >"$WN_TMP/tail"
end=$(date +%s.%N)
check_eq "200 MB document: both records out" "$(jq .docs_out "$WN_TMP/big.json")" 2
check "200 MB document: bytes_in > 200e6" test "$(jq .bytes_in "$WN_TMP/big.json")" -gt 200000000
check_eq "200 MB document: the record after it intact" "$(cat "$WN_TMP/tail")" '{"id":"after","text":"x"}'
secs=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b-a}')
echo "# 200 MB document in $secs s (generator included)"
check "200 MB document in under 60 s" awk -v s="$secs" 'BEGIN{exit !(s < 60)}'
wn_done
