#!/usr/bin/env bash
# winnow-run with http(s) inputs: an input_list (gzipped, with comments and
# a relative local path) of URLs served on 127.0.0.1; a transfer dropped
# half-way resumes with a Range request; output equals the local files';
# a missing URL fails its task only, with the HTTP status in the log.
. "$(dirname "$0")/../lib.sh"
data=$(wn_data jsonl) || wn_done
T=$WN_TMP
jqt() { jq -e "$@" >/dev/null; }
mkdir -p "$T/www" "$T/p"
for f in cc-2019-30-697docs.jsonl.gz dolma-multiple_files_cc_en_head-0091.jsonl.gz dolma-provided_documents_000.json.gz; do
  ln -s "$data/$f" "$T/www/$f"
done
$PYTHON "$WN_ROOT/tests/tools/run_flaky_http.py" "$T/www" "$T/port" 2>"$T/server.log" & srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null; rm -rf "$T"' EXIT
for i in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
port=$(cat "$T/port")
cp "$WN_ROOT/tests/data/run/http.yaml" "$T/p/p.yaml"
ln -s "$data/dolma-multiple_files_cc_en_head-0174.jsonl.gz" "$T/p/local.jsonl.gz"
printf '# inputs of the http test\nhttp://127.0.0.1:%s/flaky/cc-2019-30-697docs.jsonl.gz\n\nhttp://127.0.0.1:%s/ok/dolma-multiple_files_cc_en_head-0091.jsonl.gz\nlocal.jsonl.gz\nhttp://127.0.0.1:%s/flaky/dolma-provided_documents_000.json.gz\n' \
  "$port" "$port" "$port" | gzip >"$T/p/list.txt.gz"
"$BIN/winnow-run" --no-progress "$T/p/p.yaml" 2>"$T/run.err"; rc=$?
check_eq "run over URLs exits 0" "$rc" 0
for f in cc-2019-30-697docs.jsonl.gz dolma-multiple_files_cc_en_head-0091.jsonl.gz dolma-multiple_files_cc_en_head-0174.jsonl.gz dolma-provided_documents_000.json.gz; do
  "$BIN/winnow-cat" --no-progress "$data/$f"
done >"$T/expected.jsonl"
check_eq "output equals winnow-cat over the same files" "$(md5sum <"$T/p/out/merged.jsonl")" "$(md5sum <"$T/expected.jsonl")"
check "the downloaded file has a stable name that keeps the URL's" grep -q -- "--no-progress $T/p/work/clean/00000.tmp-fetch/cc-2019-30-697docs.jsonl.gz$" "$T/p/work/clean/00000.log"
check "a dropped transfer resumed with Range" grep -q "resuming at byte [1-9]" "$T/p/work/clean/00000.log"
check "the server saw a Range request" grep -q '"GET /flaky/cc-2019-30-697docs.jsonl.gz HTTP/1.1" 206' "$T/server.log"
check "marker keeps the URL as input" jqt --arg u "http://127.0.0.1:$port/flaky/cc-2019-30-697docs.jsonl.gz" '.input == $u' "$T/p/work/clean/00000.done.json"
check "no downloaded temporaries left" test -z "$(find "$T/p/work" -name '*fetch*' -o -name '*.part')"

# a missing URL: that task fails, with the status in its log; the others are done
mkdir -p "$T/q"; cp "$T/p/p.yaml" "$T/q/p.yaml"
printf 'http://127.0.0.1:%s/ok/dolma-multiple_files_cc_en_head-0091.jsonl.gz\nhttp://127.0.0.1:%s/ok/missing.jsonl.gz\n' "$port" "$port" | gzip >"$T/q/list.txt.gz"
"$BIN/winnow-run" --no-progress "$T/q/p.yaml" 2>"$T/q.err"; rc=$?
check_eq "missing URL: exit 1" "$rc" 1
check "missing URL: HTTP 404 in the task log" grep -q "HTTP status 404" "$T/q/work/clean/00001.log"
check "missing URL: the other task is done" test -e "$T/q/work/clean/00000.done.json"
check "missing URL: listed with its log" grep -q "clean task 1 (http://127.0.0.1:$port/ok/missing.jsonl.gz): log" "$T/q.err"
wn_done
