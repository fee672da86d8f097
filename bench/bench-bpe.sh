#!/usr/bin/env bash
# bench-bpe.sh -- BPE training speed and memory, winnow-bpe vs Hugging Face
# tokenizers (npm 0.23.2, native Rust) side by side in one run, on
# mixed-real-text (97k documents, 36 MB of text), cl100k split pattern.
#   winnow: `winnow-bpe train --vocab-size 32000` on the JSONL documents
#   HF:     Tokenizer.train(files) on the same texts as a text file (its only
#           training entry point in npm: default BpeTrainer, vocab 30000, so HF
#           does slightly less work), RAYON_NUM_THREADS=1 / 2
# Seconds are medians of BPE_BENCH_RUNS runs (default 3; HF stops after one
# run when that took over 40 s, and the note says so); peak RSS from
# /usr/bin/time. Rows go to stdout, progress to stderr.
source "$(dirname "$0")/../tests/lib.sh"
data=$(wn_data jsonl/mixed-real-text.jsonl.zst) || exit 0
runs=${BPE_BENCH_RUNS:-3}
peers=$WN_ROOT/tests/peers
zstd -dc "$data" >"$WN_TMP/docs.jsonl"
"$PYTHON" -c '
import sys, json
with open(sys.argv[2], "wb") as out:
    for l in open(sys.argv[1], "rb"):
        if l.strip():
            t = json.loads(l)["text"].encode("utf-8", "surrogatepass")
            out.write(t if t.endswith(b"\n") else t + b"\n")' "$WN_TMP/docs.jsonl" "$WN_TMP/docs.txt"

# one_run KIND THREADS: prints "seconds peak_kb"
one_run() {
  local t="$WN_TMP/time.$1.$2"
  if [ "$1" = winnow ]; then
    /usr/bin/time -f "%e %M" -o "$t" "$BIN/winnow-bpe" train -j "$2" --vocab-size 32000 --no-progress \
      -o "$WN_TMP/out.w" "$WN_TMP/docs.jsonl" >/dev/null 2>&1 || { echo "fail 0"; return; }
  else
    (cd "$peers" && RAYON_NUM_THREADS=$2 /usr/bin/time -f "%e %M" -o "$t" node hf_train.js cl100k \
      "$WN_TMP/out.hf.json" "$WN_TMP/docs.txt" >/dev/null 2>&1) || { echo "fail 0"; return; }
  fi
  cat "$t"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A SEC RSS N
for th in 1 2; do
  for kind in winnow hf; do
    : >"$WN_TMP/s"; : >"$WN_TMP/m"
    for r in $(seq "$runs"); do   # the peer runs in the same script, right after us
      read -r s m < <(one_run $kind $th)
      echo "bench-bpe: $kind -j$th run $r: $s s, $((m / 1024)) MB" >&2
      echo "$s" >>"$WN_TMP/s"; echo "$m" >>"$WN_TMP/m"
      [ "$kind" = hf ] && awk -v s="$s" 'BEGIN { exit !(s > 40) }' && break
    done
    SEC[$kind$th]=$(median <"$WN_TMP/s"); RSS[$kind$th]=$(sort -n "$WN_TMP/m" | tail -1)
    N[$kind$th]=$(wc -l <"$WN_TMP/s")
  done
done
r() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.2fx", b / a; else print "n/a" }'; }
mb() { echo $(( $1 / 1024 )); }
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "| bpe train 1 thread (s) | ${SEC[winnow1]} | ${SEC[hf1]} | $(r "${SEC[winnow1]}" "${SEC[hf1]}") | vocab 32000 vs HF 30000; medians of ${N[winnow1]} / ${N[hf1]} runs; load $load |"
echo "| bpe train 2 threads (s) | ${SEC[winnow2]} | ${SEC[hf2]} | $(r "${SEC[winnow2]}" "${SEC[hf2]}") | -j 2 vs RAYON_NUM_THREADS=2; ${N[winnow2]} / ${N[hf2]} runs |"
echo "| bpe train peak RSS 1 thread (MB) | $(mb "${RSS[winnow1]}") | $(mb "${RSS[hf1]}") | $(r "${RSS[winnow1]}" "${RSS[hf1]}") | max over runs |"
echo "| bpe train peak RSS 2 threads (MB) | $(mb "${RSS[winnow2]}") | $(mb "${RSS[hf2]}") | $(r "${RSS[winnow2]}" "${RSS[hf2]}") | |"
echo "| bpe train speedup from 2 threads | $(r "${SEC[winnow2]}" "${SEC[winnow1]}") | $(r "${SEC[hf2]}" "${SEC[hf1]}") | | t(1)/t(2) of the rows above (series minutes apart); 2 shared cores |"
# The speedup again with -j 1 and -j 2 alternating run by run (the machine
# drifts over the minutes the HF runs take; alternation keeps the two
# comparable): median of BPE_BENCH_SPEEDUP_RUNS (default 5) each.
sruns=${BPE_BENCH_SPEEDUP_RUNS:-5}
: >"$WN_TMP/a1"; : >"$WN_TMP/a2"
for i in $(seq "$sruns"); do
  for th in 1 2; do
    read -r s _ < <(one_run winnow $th)
    echo "bench-bpe: winnow -j$th alternating run $i: $s s" >&2
    echo "$s" >>"$WN_TMP/a$th"
  done
done
a1=$(median <"$WN_TMP/a1"); a2=$(median <"$WN_TMP/a2")
echo "| bpe train speedup from 2 threads, alternating | $(r "$a2" "$a1") | | | -j 1 $a1 s vs -j 2 $a2 s, medians of $sruns alternating runs; load $(cut -d' ' -f1-3 /proc/loadavg) |"
