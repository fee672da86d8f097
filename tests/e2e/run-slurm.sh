#!/usr/bin/env bash
# winnow-run --executor slurm on a one-node Slurm cluster started here
# (tests/slurm/cluster.sh): array jobs split above max_array_size, chained
# by afterok; output byte-identical to the local executor's; resubmission
# submits only what is not done; a task stopped by SIGTERM (what Slurm
# sends at the time limit) leaves no partial output and no marker.
. "$(dirname "$0")/../lib.sh"
data=$(wn_data jsonl) || wn_done
data=$(dirname "$data")
T=$WN_TMP
C=$T/cluster
"$WN_ROOT/tests/slurm/cluster.sh" up "$C"; rc=$?
if [ $rc = 77 ]; then
  if [ "${CI:-}" = true ]; then not_ok "slurm not available"; else echo "# slurm not available: skipped"; fi
  wn_done
fi
trap '"$WN_ROOT/tests/slurm/cluster.sh" down "$C"; rm -rf "$T"' EXIT
check_eq "cluster up" "$rc" 0
[ $rc = 0 ] || wn_done
export SLURM_CONF=$C/slurm.conf
cc -O1 -o "$T/run_slow" "$WN_ROOT/tests/tools/run_slow.c"
jqt() { jq -e "$@" >/dev/null; }
no_orphans() { ! pgrep -f "$T/run_slow" >/dev/null; }
mkpipe() {
  mkdir -p "$T/$1"
  sed -e "s|@DATA@|$data|g" -e "s|@TOOLS@|$T|g" -e "s|@DELAY@|$2|g" "$WN_ROOT/tests/data/run/slurm.yaml" >"$T/$1/p.yaml"
}
outputs() { (cd "$1" && md5sum out/merged.jsonl.zst work/*/[0-9]*.jsonl.zst); }
# wait_gone: until none of our jobs is queued or running
wait_gone() { local i; for i in $(seq 300); do [ -z "$(squeue -h -o %i)" ] && return 0; sleep 0.2; done; return 1; }

mkpipe local 0
"$BIN/winnow-run" --executor local --no-progress "$T/local/p.yaml" 2>"$T/local.err"
check_eq "local reference run" "$?" 0

mkpipe s 0
t0=$(date +%s.%N)
timeout 120 "$BIN/winnow-run" --wait "$T/s/p.yaml" >"$T/submit.out" 2>"$T/submit.err"; rc=$?
t1=$(date +%s.%N)
echo "# slurm run (submit + wait): $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"
check_eq "slurm run with --wait exits 0" "$rc" 0
check_eq "split arrays: two jobs per per-file step, one barrier, one finalize" \
  "$(cut -d: -f1 "$T/submit.out" | tr '\n' ' ')" "clean clean again again merged finalize "
check "array tasks ran through winnow-run --step/--task (offset for the second array)" \
  grep -q -- "--task-offset 3 --task" "$T/s/work/slurm/clean.1.sh"
check_eq "slurm outputs byte-identical to the local executor's" "$(outputs "$T/s")" "$(outputs "$T/local")"
check "markers written by the array tasks" jqt '.stages[0].stats.docs_in == 697' "$T/s/work/clean/00000.done.json"
wait_gone
check "finalize job wrote run.json" jqt '.executor == "slurm" and .status == "done"' "$T/s/work/run.json"
"$BIN/winnow-run" --status "$T/s/p.yaml" >"$T/status.out"; rc=$?
check_eq "--status after the run: exit 0" "$rc" 0
check "--status: every task done" grep -qE '^total +9 +9 +0 +0$' "$T/status.out"

# the repository's default pipeline.yaml, locally then through Slurm in the same
# place (stages may record input paths): same outputs. The tree is copied by
# symlinks so its relative paths hold and out/ is ours.
D=$T/default
mkdir -p "$D"
for f in "$WN_ROOT"/*; do [ "$(basename "$f")" = out ] || ln -s "$f" "$D/"; done
rm "$D/pipeline.yaml"; cp "$WN_ROOT/pipeline.yaml" "$D/pipeline.yaml"
# every output file but the markers, logs, run records and the report
final_files() {
  (cd "$D/out" && find . -type f ! -name '*.done.json' ! -name '*.log' ! -name run.json ! -name report.html \
     ! -name jobs.txt ! -name inputs.txt ! -name '*.sh' ! -name '*.out' ! -name .lock | sort | xargs -r md5sum)
}
"$BIN/winnow-run" --executor local --no-progress "$D/pipeline.yaml" 2>"$T/default-local.err"
check_eq "default pipeline.yaml, local executor" "$?" 0
local_files=$(final_files)
rm -rf "$D/out"
timeout 300 "$BIN/winnow-run" --executor slurm --wait "$D/pipeline.yaml" >"$T/default-slurm.out" 2>&1
check_eq "default pipeline.yaml through Slurm (--wait)" "$?" 0
check "default pipeline: some outputs" test -n "$local_files"
check_eq "default pipeline: Slurm outputs byte-identical to local" "$(final_files)" "$local_files"
wait_gone

# resubmission: nothing, then only what was removed
out=$("$BIN/winnow-run" "$T/s/p.yaml" 2>&1)
check_eq "resubmitting a finished run submits nothing" "$out" "nothing to submit: every task is done"
rm "$T/s/work/again/00003.done.json"
timeout 120 "$BIN/winnow-run" --wait "$T/s/p.yaml" >"$T/resub.out" 2>&1; rc=$?
check_eq "resubmission after a lost task exits 0" "$rc" 0
check_eq "resubmission submits only the missing task and what depends on it" \
  "$(sed 's/job [0-9]*/job N/' "$T/resub.out" | tr '\n' ' ')" "again: job N (1 task) merged: job N (1 task) finalize: job N "
check_eq "outputs still identical after resubmission" "$(outputs "$T/s")" "$(outputs "$T/local")"
wait_gone

# a failing task: retried inside the array task, dependents cancelled, --wait exits 1
mkpipe fail 0
sed -i 's|--delay-ms, "0"|--fail-if, "advocatesaz.org"|' "$T/fail/p.yaml"
timeout 120 "$BIN/winnow-run" --wait "$T/fail/p.yaml" >"$T/fail.out" 2>"$T/fail.err"; rc=$?
check_eq "a failing task: --wait exits 1" "$rc" 1
check "a failing task: retried once in its array task (attempt 2 of 2)" \
  jqt '.attempt == 2 and .attempts == 2 and .stages[1].exit == 3' "$T/fail/work/clean/00003.failed.json"
check "a failing task: the others of its step are done" test -e "$T/fail/work/clean/00002.done.json"
check "a failing task: dependent jobs cancelled, nothing downstream ran" test -z "$(ls "$T"/fail/work/again/ 2>/dev/null)"
check "a failing task: --wait lists it with its log" grep -q "failed: clean task 3 .*log $T/fail/work/clean/00003.log" "$T/fail.err"
wait_gone
check "a failing task: the finalize job still wrote run.json" jqt '.status == "failed"' "$T/fail/work/run.json"

# SIGTERM to a running task (as at the Slurm time limit): no partial output, no marker
mkpipe term 20000
"$BIN/winnow-run" "$T/term/p.yaml" >"$T/term.out" 2>&1
job=$(sed -n 's/^clean: job \([0-9]*\) (3 tasks)/\1/p' "$T/term.out")
for i in $(seq 100); do [ -n "$(ls "$T"/term/work/clean/00000.*tmp* 2>/dev/null)" ] && break; sleep 0.1; done
sleep 0.3
check "task 0 is running (its temporary output exists)" test -n "$(ls "$T"/term/work/clean/00000.*tmp* 2>/dev/null)"
check "--status shows the queued jobs" grep -q "^$job.* RUNNING" <<<"$("$BIN/winnow-run" --status "$T/term/p.yaml")"
check "array tasks use the input list fixed at submission" test "$(wc -l <"$T/term/work/slurm/inputs.txt")" = 4
out=$("$BIN/winnow-run" "$T/term/p.yaml" 2>&1); rc=$?
check_eq "submitting while the last submission is queued: refused" "$rc" 1
check "submitting while queued: says why" grep -q "still queued" <<<"$out"
scancel --signal=TERM --full "${job}_0"
for i in $(seq 100); do [ -z "$(squeue -h -t running -j "${job}_0" -o %i 2>/dev/null)" ] && break; sleep 0.1; done
check "SIGTERM: the task ended at once" test -z "$(squeue -h -t running -j "${job}_0" -o %i 2>/dev/null)"
check "SIGTERM: no partial output left" test -z "$(ls "$T"/term/work/clean/00000.*tmp* 2>/dev/null)"
check "SIGTERM: no completion marker" test ! -e "$T/term/work/clean/00000.done.json"
check "SIGTERM: the job log says so" grep -q "stopped by signal 15; partial output removed" "$T"/term/work/slurm/clean-"${job}"_0.out
scancel --user=root 2>/dev/null
wait_gone
sleep 0.5
check "scancel: no stage process left" no_orphans
check "scancel: no temporaries left" test -z "$(find "$T/term/work" -name '*tmp*')"
"$BIN/winnow-run" --status "$T/term/p.yaml" >"$T/term.status"
# nothing may be done; a cancelled task may count as failed or pending
# depending on when Slurm's cancellation reached it
check "--status after cancel: nothing done" grep -qE '^total +9 +0 ' "$T/term.status" || sed 's/^/# /' "$T/term.status"

# --dry-run prints the scripts and submits nothing
out=$("$BIN/winnow-run" --dry-run "$T/s/p.yaml")
check_eq "--dry-run of a finished run prints only finalize" "$(grep -c '^# ----' <<<"$out")" 1
mkpipe dry 0
"$BIN/winnow-run" --dry-run "$T/dry/p.yaml" >"$T/dry.out"
check "--dry-run: sbatch array with parallelism limit" grep -qx '#SBATCH --array=0-2%2' "$T/dry.out"
check "--dry-run: dependency chain" grep -qx '#SBATCH --dependency=afterok:<again.0>:<again.1>' "$T/dry.out"
check "--dry-run: extra sbatch flags" grep -qx '#SBATCH --comment=winnow-test' "$T/dry.out"
check "--dry-run submits nothing" test ! -e "$T/dry/work/slurm/jobs.txt"
wn_done
