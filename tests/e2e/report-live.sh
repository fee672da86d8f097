#!/usr/bin/env bash
# winnow-report on work directories built here and now: winnow-cat --stats on
# the real JSONL files (one task per file, and a two-stage chain), a task
# with malformed records, a pack manifest found through an absolute output
# path, no run.json (steps found from the directories), an unreadable
# marker, hostile names, an empty directory; and the command-line contract.
. "$(dirname "$0")/../lib.sh"
T="$WN_ROOT/tests/tools"
R="$BIN/winnow-report"
W="$WN_TMP/work"; mkdir -p "$W/validate" "$W/recat" "$W/pack" "$WN_TMP/out"

# marker TASKDIR TASK SECONDS OUTPUT STATS... : a completion marker as winnow-run writes it
marker() {
  local dir=$1 task=$2 secs=$3 out=$4; shift 4
  jq -n --argjson task "$task" --argjson secs "$secs" --arg out "$out" \
    '{step: "x", task: $task, input: "in", output: $out, def_hash: "h", seconds: $secs, attempt: 1,
      stages: [$ARGS.positional[] | {argv: ["winnow-cat"], exit: 0, stats: (. | fromjson)}]}' \
    --args "$@" >"$dir/$(printf %05d "$task").done.json"
}
i=0
for rel in jsonl/cc-2019-30-697docs.jsonl.gz jsonl/dolma-multiple_files_cc_en_head-0174.jsonl.gz \
           jsonl/dolma-provided_documents_000.json.gz jsonl/mixed-real-text.jsonl.zst; do
  f=$(wn_data "$rel") || continue
  "$BIN/winnow-cat" "$f" --stats "$WN_TMP/s.json" >"$WN_TMP/out/$i.jsonl"
  marker "$W/validate" $i 0.5 "$WN_TMP/out/$i.jsonl" "$(cat "$WN_TMP/s.json")"
  # a two-stage chain: cat | cat, each with its own stats
  "$BIN/winnow-cat" "$WN_TMP/out/$i.jsonl" --stats "$WN_TMP/a.json" | "$BIN/winnow-cat" --stats "$WN_TMP/b.json" >/dev/null
  marker "$W/recat" $i 0.25 "" "$(cat "$WN_TMP/a.json")" "$(cat "$WN_TMP/b.json")"
  i=$((i + 1))
done
# malformed records: docs_bad counted, exit 1
"$BIN/winnow-cat" "$WN_ROOT/tests/data/report/bad-lines.jsonl" --stats "$WN_TMP/s.json" >/dev/null 2>&1
check_eq "live: winnow-cat counts the 2 malformed lines" "$(jq .docs_bad "$WN_TMP/s.json")" 2
marker "$W/validate" $i 0.01 "" "$(cat "$WN_TMP/s.json")"
# a pack step whose output is an absolute directory holding manifest.json
mkdir -p "$WN_TMP/shards"; cp "$WN_ROOT/tests/data/report/work/out/shards/manifest.json" "$WN_TMP/shards/"
marker "$W/pack" 0 0.1 "$WN_TMP/shards" '{"stage":"pack","docs_in":3,"docs_out":3,"docs_rejected":0,"docs_bad":0,"bytes_in":9,"bytes_out":9,"reasons":{},"seconds":0.1}'
# an unreadable marker in a step of its own
mkdir -p "$W/broken"; echo '{"task": 0, "stages": [' >"$W/broken/00000.done.json"

"$R" "$W" -o "$WN_TMP/live.html" --json "$WN_TMP/live.json" 2>"$WN_TMP/err"; rc=$?
check_eq "live: exit status 0 despite an unreadable marker" "$rc" 0
check "live: the unreadable marker is named on stderr" grep -q "broken/00000.done.json" "$WN_TMP/err"
check "live: ... and on the page" grep -q "broken/00000.done.json" "$WN_TMP/live.html"
"$R" "$W" --strict -o "$WN_TMP/strict.html" 2>/dev/null; rc=$?
check_eq "live: --strict makes it exit 1" "$rc" 1
$PYTHON "$T/report_check.py" "$W" "$WN_TMP/live.html" "$WN_TMP/live.json" \
  --present funnel,lengths,packing,timings,failures --absent languages,duplicates,tokenizer \
  | sed 's/^\(not \)\?ok - /&live: /'
[ "${PIPESTATUS[0]}" = 0 ] || WN_FAILED=1
total=$(cat "$W"/validate/*.done.json | jq -s '[.[].stages[0].stats.docs_in] | add')
check "live: the funnel shows docs_in summed over the tasks ($total)" \
  grep -q "data-key=\"validate/0/docs_in\" data-v=\"$total\"" "$WN_TMP/live.html"

# hostile names: markup in the run name, a step name, a stage name and a reason
H="$WN_TMP/hostile"; S='x<img src=y onerror=alert(1)>'; mkdir -p "$H/$S"
jq -n --arg s "$S" '{name: "<script>alert(1)</script>", yaml: "a\"b", steps: [{name: $s, barrier: false, tasks: 1, done: 1, failed: 0}, {name: "../etc"}]}' >"$H/run.json"
jq -n '{task: 0, seconds: 1, stages: [{argv: ["/x/winnow-<b>bold</b>"], exit: 0,
       stats: {docs_in: 2, docs_out: 1, docs_rejected: 1, docs_bad: 0, bytes_in: 5, bytes_out: 3,
               reasons: {"</td><script>alert(2)</script>": 1}, langs: {"<i>x</i>": 1}}}]}' >"$H/$S/00000.done.json"
"$R" "$H" -o "$WN_TMP/hostile.html" 2>"$WN_TMP/err"; rc=$?
check_eq "hostile: exit status" "$rc" 0
check "hostile: a step name that leaves the work directory is refused" grep -q "unusable name" "$WN_TMP/err"
check "hostile: no markup from the files survives" sh -c "! grep -q -e '<script' -e '<img' -e '<b>bold' -e '<i>x' '$WN_TMP/hostile.html'"
$PYTHON "$T/report_check.py" "$H" "$WN_TMP/hostile.html" | sed 's/^\(not \)\?ok - /&hostile: /'
[ "${PIPESTATUS[0]}" = 0 ] || WN_FAILED=1

# an empty work directory: every data section says so
mkdir -p "$WN_TMP/empty"
"$R" "$WN_TMP/empty" 2>/dev/null; rc=$?
check_eq "empty: exit status" "$rc" 0
check "empty: default output is WORK_DIR/report.html" test -s "$WN_TMP/empty/report.html"
"$R" "$WN_TMP/empty" --strict -o "$WN_TMP/empty2.html" 2>"$WN_TMP/err"; rc=$?
check_eq "empty: an absent run.json is not an error, even with --strict" "$rc.$(wc -c <"$WN_TMP/err")" "0.0"
$PYTHON "$T/report_check.py" "$WN_TMP/empty" "$WN_TMP/empty/report.html" \
  --absent funnel,rejections,lengths,languages,duplicates,tokenizer,packing,timings | sed 's/^\(not \)\?ok - /&empty: /'
[ "${PIPESTATUS[0]}" = 0 ] || WN_FAILED=1

# command line
"$R" >/dev/null 2>&1; check_eq "cli: no work directory is a usage error" "$?" 2
"$R" a b >/dev/null 2>&1; check_eq "cli: two work directories are a usage error" "$?" 2
"$R" --bogus "$W" >/dev/null 2>&1; check_eq "cli: unknown option is a usage error" "$?" 2
"$R" "$W" -o - --json - >/dev/null 2>&1; check_eq "cli: -o - with --json - is a usage error" "$?" 2
"$R" --help | grep -q "^usage: winnow-report"; check_eq "cli: --help" "$?" 0
"$R" "$WN_TMP/nonexistent" 2>"$WN_TMP/err"; rc=$?
check_eq "cli: a missing work directory exits 1" "$rc" 1
check "cli: ... naming it" grep -q "nonexistent" "$WN_TMP/err"
"$R" "$W" -o - 2>/dev/null | head -c 15 >"$WN_TMP/head"
check_eq "cli: -o - writes the page to stdout" "$(cat "$WN_TMP/head")" "<!DOCTYPE html>"
"$R" "$W" -o "$WN_TMP/no/such/dir/r.html" 2>/dev/null; check_eq "cli: an unwritable output exits 1" "$?" 1
"$R" "$W" -o "$WN_TMP/x.html" --json - 2>/dev/null | jq -e '.steps | length == 4' >/dev/null
check_eq "cli: --json - writes the numbers to stdout" "$?" 0
wn_done
