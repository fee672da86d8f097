#!/usr/bin/env bash
# ingest-edge: every file in ../shared/data/warc/edge-cases runs without a
# crash or sanitizer report, keeps its intact records, and exits 0 or 1 with
# a message naming the damage -- with the release build and, when present,
# the ASan/UBSan build (make SANITIZE=address,undefined stages-san).
. "$(dirname "$0")/../lib.sh"
dir=$(wn_data warc/edge-cases) || wn_done

# expected HTML records kept per file (- = any), and the exit status
declare -A keep=( [pywb-example-wget-1-14.warc.gz]=1 [pywb-example-wpull.warc.gz]=1 [resiliparse-clipped.warc.gz]=0
  [warcio-example-digest.warc]=0 [warcio-example-iana.org-chunked.warc]=1 [warcio-example-resource.warc.gz]=1
  [warcio-example-space-in-target-uri.warc.gz]=0 [warcio-example-trunc.warc]=1
  [warcio-example-wget-bad-target-uri.warc.gz]=1 [warcio-example.warc.gz]=1 )
declare -A status=( [resiliparse-clipped.warc.gz]=1 )

builds="$BIN"
[ -x "$WN_ROOT/build/san/bin/winnow-ingest" ] && builds="$builds $WN_ROOT/build/san/bin"
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for b in $builds; do
  tag=rel; [ "$b" = "$BIN" ] || tag=san
  for f in "$dir"/*; do
    n=$(basename "$f")
    for v in "" --verify-digests; do
      "$b/winnow-ingest" $v --stats "$WN_TMP/s.json" "$f" >"$WN_TMP/o.jsonl" 2>"$WN_TMP/e"; rc=$?
      want=${status[$n]:-0}
      check_eq "$tag $n $v: exit status" "$rc" "$want"
      if grep -q -E 'Sanitizer|runtime error|LeakSanitizer' "$WN_TMP/e"; then not_ok "$tag $n $v: sanitizer report"; head -5 "$WN_TMP/e" | sed 's/^/# /'; fi
      if [ "$rc" = 1 ]; then
        check "$tag $n $v: message names file, offset and damage" grep -q -E "$n:offset [0-9]+: .*(truncated|cut short|corrupt|mismatch|not a WARC)" "$WN_TMP/e"
      fi
      [ "${keep[$n]:--}" = - ] || check_eq "$tag $n $v: records kept" "$(wc -l <"$WN_TMP/o.jsonl")" "${keep[$n]}"
      check "$tag $n $v: stats identity" $PYTHON -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["docs_in"]!=d["docs_out"]+d["docs_rejected"]+d["docs_bad"])' "$WN_TMP/s.json"
    done
  done
done
# the short Content-Length of warcio-example-trunc is repaired, and said so
"$BIN/winnow-ingest" --stats "$WN_TMP/s.json" "$dir/warcio-example-trunc.warc" >/dev/null 2>&1
check "trunc: repair counted in stats" grep -q '"warc-content-length-too-small":1' "$WN_TMP/s.json"
# chunked transfer encoding is undone
"$BIN/winnow-ingest" "$dir/warcio-example-iana.org-chunked.warc" >"$WN_TMP/o.jsonl" 2>/dev/null
check "chunked: body dechunked (starts with markup, ends with </html>)" $PYTHON -c 'import json,sys; h=json.loads(open(sys.argv[1]).readline())["html"]; sys.exit(not (h.lstrip().startswith("<") and h.rstrip().endswith("</html>")))' "$WN_TMP/o.jsonl"
wn_done
