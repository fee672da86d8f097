#!/usr/bin/env bash
# winnow-run, local executor, on real JSONL files: a run equals the stages
# run by hand; kill -9 in the middle then a rerun gives byte-identical
# outputs and keeps the tasks done before the kill; a failing task lets
# the others finish and is listed with its log; retries; a changed flag
# redoes exactly the affected tasks; Ctrl-C leaves no temporaries; --check
# names file:line:col; --dry-run runs nothing; --status counts.
. "$(dirname "$0")/../lib.sh"
data=$(wn_data jsonl) || wn_done
data=$(dirname "$data")
R=$WN_ROOT/tests/data/run
T=$WN_TMP
cc -O1 -o "$T/run_slow" "$WN_ROOT/tests/tools/run_slow.c" || { not_ok "build run_slow"; wn_done; }
export PATH="$BIN:$PATH"

# mkpipe NAME DELAY [sed-expr]: instantiate the local.yaml template in $T/NAME/
mkpipe() {
  mkdir -p "$T/$1"
  sed -e "s|@DATA@|$data|g" -e "s|@TOOLS@|$T|g" -e "s|@DELAY@|$2|g" ${3:+-e "$3"} "$R/local.yaml" >"$T/$1/p.yaml"
}
# outputs DIR: checksums of every task output and the final output
outputs() { (cd "$1" && md5sum out/merged.jsonl.zst work/*/[0-9]*.jsonl.zst); }
no_orphans() { ! pgrep -f "$T/run_slow" >/dev/null; }
jqt() { jq -e "$@" >/dev/null; }

# 1. reference run, and the same by hand
mkpipe ref 0
"$BIN/winnow-run" --no-progress "$T/ref/p.yaml" 2>"$T/ref.err"; rc=$?
check_eq "reference run exits 0" "$rc" 0
check_eq "reference run: 4+4+1 tasks done" "$(ls "$T"/ref/work/*/*.done.json | wc -l)" 9
for f in cc-2019-30-697docs.jsonl.gz dolma-multiple_files_cc_en_head-0091.jsonl.gz dolma-multiple_files_cc_en_head-0174.jsonl.gz dolma-provided_documents_000.json.gz; do
  "$BIN/winnow-cat" --no-progress "$data/jsonl/$f" 2>/dev/null
done >"$T/byhand.jsonl"
check_eq "merged output equals winnow-cat over the inputs in order" \
  "$(zstd -qdc "$T/ref/out/merged.jsonl.zst" | md5sum)" "$(md5sum <"$T/byhand.jsonl")"
check_eq "task output 00000 equals winnow-cat of the first input" \
  "$(zstd -qdc "$T/ref/work/clean/00000.jsonl.zst" | md5sum)" "$("$BIN/winnow-cat" --no-progress "$data/jsonl/cc-2019-30-697docs.jsonl.gz" | md5sum)"
check "marker holds the stage stats (docs_in 697)" \
  test "$(jq '.stages[0].stats.docs_in' "$T/ref/work/clean/00000.done.json")" = 697
check "marker holds argv, exit and def_hash" \
  jqt '.stages[1].exit == 0 and (.def_hash | length) == 64 and .stages[0].argv[0] == "winnow-cat" and .attempt == 1' "$T/ref/work/clean/00000.done.json"
check "run.json: 3 steps, all done" jqt '.status == "done" and ([.steps[].pending] | add) == 0 and (.steps | length) == 3' "$T/ref/work/run.json"
check "no temporaries left" test -z "$(find "$T/ref" -name '*tmp*')"
if [ -x "$BIN/winnow-report" ]; then
  check "winnow-report wrote out/report.html" test -s "$T/ref/out/report.html"
fi
"$BIN/winnow-run" --no-progress "$T/ref/p.yaml" 2>/dev/null; rc=$?
check_eq "rerun of a finished pipeline exits 0" "$rc" 0
check "rerun changes nothing" test -z "$(find "$T/ref/work" -newer "$T/ref/work/run.json" -name '*.done.json')"

# 2. kill -9 in the middle, rerun: byte-identical, done tasks kept
mkpipe kill 1500
"$BIN/winnow-run" --no-progress "$T/kill/p.yaml" 2>"$T/kill1.err" & pid=$!
# kill once the first tasks are done and the next ones run (polled: the machine may be loaded)
for i in $(seq 200); do [ -n "$(ls "$T"/kill/work/clean/*.done.json 2>/dev/null)" ] && break; sleep 0.1; done
sleep 0.3
kill -9 $pid; wait $pid 2>/dev/null
sleep 0.3
check "kill -9: no orphan stage processes" no_orphans
before=$(cd "$T/kill/work" && md5sum */*.done.json 2>/dev/null)
ndone=$(echo "$before" | grep -c done.json)
check "kill -9 came in the middle (some but not all tasks done: $ndone)" test "$ndone" -ge 1 -a "$ndone" -lt 9
"$BIN/winnow-run" --no-progress "$T/kill/p.yaml" 2>"$T/kill2.err"; rc=$?
check_eq "rerun after kill -9 exits 0" "$rc" 0
check_eq "rerun after kill -9: outputs byte-identical to an uninterrupted run" "$(outputs "$T/kill")" "$(outputs "$T/ref")"
check_eq "tasks done before the kill were not redone" "$(cd "$T/kill/work" && echo "$before" | md5sum -c --quiet 2>&1)" ""
check "no temporaries left after the rerun" test -z "$(find "$T/kill" -name '*tmp*')"

# 3. a failing task: the others finish, exit 1, the log is listed
mkpipe fail 0 's|--delay-ms, "0"|--fail-if, "advocatesaz.org"|'
"$BIN/winnow-run" --no-progress "$T/fail/p.yaml" 2>"$T/fail.err"; rc=$?
check_eq "a failing task: exit 1" "$rc" 1
check "a failing task: its log is listed" grep -q "clean task 3 .*log $T/fail/work/clean/00003.log" "$T/fail.err"
check "a failing task: the log holds the stage's message" grep -q "failing on purpose" "$T/fail/work/clean/00003.log"
check_eq "a failing task: the other 3 inputs went through both steps" "$(ls "$T"/fail/work/again/*.done.json | wc -l)" 3
check "a failing task: failed.json names exit 3 and the log" \
  jqt '.stages[1].exit == 3 and (.log | endswith("00003.log"))' "$T/fail/work/clean/00003.failed.json"
check "a failing task: the barrier did not run" test ! -e "$T/fail/out/merged.jsonl.zst"
"$BIN/winnow-run" --status "$T/fail/p.yaml" >"$T/status.out"; rc=$?
check_eq "--status exits 1 while tasks are not done" "$rc" 1
check "--status counts done/failed/pending" grep -qE '^clean +4 +3 +1 +0$' "$T/status.out"
check "--status: barrier pending" grep -qE '^merged +1 +0 +0 +1$' "$T/status.out"

# 4. retries: a stage that fails once succeeds on the second attempt
mkpipe retry 0 "s|--delay-ms, \"0\"|--fail-first, \"$T/retry/failed-once\"|; s|workers: 2|workers: 1\n  retries: 1|"
"$BIN/winnow-run" --no-progress "$T/retry/p.yaml" 2>"$T/retry.err"; rc=$?
check_eq "retries: exit 0 after a failed first attempt" "$rc" 0
check "retries: marker says attempt 2" jqt '.attempt == 2' "$T/retry/work/clean/00000.done.json"
check "retries: the log holds both attempts" grep -q "attempt 2/2" "$T/retry/work/clean/00000.log"

# 5. a changed flag invalidates that step and everything downstream only
mkpipe chg 0
"$BIN/winnow-run" --no-progress "$T/chg/p.yaml" 2>/dev/null
clean_before=$(cd "$T/chg/work" && md5sum clean/*.done.json)
sed -i 's|\[\[winnow-cat, "{input}"\]\]|[[winnow-cat, --strict, "{input}"]]|' "$T/chg/p.yaml"
"$BIN/winnow-run" --dry-run "$T/chg/p.yaml" >"$T/dry.out"
check_eq "changed flag: --dry-run lists the 4 'again' tasks and the barrier" "$(grep -c '^# ' "$T/dry.out")" 5
check "changed flag: --dry-run shows the new flag" grep -q "^winnow-cat --strict $T/chg/work/clean/00000.jsonl.zst --no-progress >" "$T/dry.out"
"$BIN/winnow-run" --no-progress "$T/chg/p.yaml" 2>/dev/null; rc=$?
check_eq "changed flag: rerun exits 0" "$rc" 0
check_eq "changed flag: upstream tasks kept" "$(cd "$T/chg/work" && md5sum clean/*.done.json)" "$clean_before"
check_eq "changed flag: downstream tasks redone with the flag" \
  "$(jq -r '.stages[0].argv[1]' "$T"/chg/work/again/*.done.json | sort -u)" "--strict"
check_eq "changed flag: final output still identical" "$(md5sum <"$T/chg/out/merged.jsonl.zst")" "$(md5sum <"$T/ref/out/merged.jsonl.zst")"

# 6. Ctrl-C (SIGINT) stops children cleanly
mkpipe int 3000
"$BIN/winnow-run" --no-progress "$T/int/p.yaml" 2>"$T/int.err" & pid=$!
for i in $(seq 200); do [ -n "$(ls "$T"/int/work/clean/*tmp* 2>/dev/null)" ] && break; sleep 0.1; done
check "SIGINT: tasks were running" test -n "$(ls "$T"/int/work/clean/*tmp* 2>/dev/null)"
kill -INT $pid; wait $pid; rc=$?
check_eq "SIGINT: exit 130" "$rc" 130
sleep 0.2
check "SIGINT: no stage process left" no_orphans
check "SIGINT: no temporaries, no markers" test -z "$(find "$T/int/work" -name '*tmp*' -o -name '*.done.json' -o -name '*.failed.json')"
check "SIGINT: says how to resume" grep -q "rerun to resume" "$T/int.err"

# 7. --check and --dry-run
for f in "$R"/bad-*.yaml; do
  b=$(basename "$f")
  exp=$(sed -n '1s/^# expect: //p' "$f")
  got=$(cd "$R" && "$BIN/winnow-run" --check "$b" 2>&1); rc=$?
  check_eq "--check $b: exit 2" "$rc" 2
  check_eq "--check $b: message" "$got" "winnow-run: $exp"
done
mkpipe dry 0
out=$("$BIN/winnow-run" --check "$T/dry/p.yaml"); rc=$?
check_eq "--check on a good pipeline exits 0" "$rc" 0
check_eq "--check summary" "$out" "$T/dry/p.yaml: ok (3 steps, 4 inputs, 9 tasks)"
"$BIN/winnow-run" --dry-run "$T/dry/p.yaml" >"$T/dry2.out"; rc=$?
check_eq "--dry-run exits 0" "$rc" 0
check "--dry-run prints the chain with pipes" grep -qF "winnow-cat --no-progress $data/jsonl/cc-2019-30-697docs.jsonl.gz | $T/run_slow --delay-ms 0 > $T/dry/work/clean/00000.jsonl.zst" "$T/dry2.out"
check "--dry-run prints the barrier with every input" grep -qF "winnow-cat $T/dry/work/again/00000.jsonl.zst $T/dry/work/again/00001.jsonl.zst" "$T/dry2.out"
check "--dry-run runs nothing" test ! -e "$T/dry/work"
"$BIN/winnow-run" 2>/dev/null; check_eq "no pipeline: exit 2" "$?" 2
"$BIN/winnow-run" --bogus x 2>/dev/null; check_eq "unknown option: exit 2" "$?" 2
wn_done
