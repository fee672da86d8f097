#!/usr/bin/env bash
# winnow-run's own cost, side by side with a shell loop doing the same work:
#  1. 200 small files, 2 workers: winnow-run (per task: fork/exec, pipes,
#     --stats, zstd capture, marker) vs `xargs -P2 sh -c 'winnow-cat F | zstd'`;
#  2. one 52 MB file: winnow-run vs `winnow-cat F | zstd -3 > out` (the runner
#     compresses the captured stdout itself).
# Medians of 3 (hyperfine, outputs removed before each run), wall clock; and
# CPU seconds (user+sys of all processes, median of 3), which a loaded
# machine disturbs less.
. "$(dirname "$0")/../tests/lib.sh"; . "$(dirname "$0")/lib.sh"
f=$(wn_data jsonl/cc-2019-30-697docs.jsonl.gz) || exit 1
big=$(wn_data jsonl/mixed-real-text.jsonl.zst) || exit 1
T=$WN_TMP
mkdir -p "$T/in"
zcat "$f" >"$T/all.jsonl"; split -n l/200 -d -a 3 --additional-suffix=.jsonl "$T/all.jsonl" "$T/in/part-"
cat >"$T/many.yaml" <<Y
inputs: ["in/*.jsonl"]
output_dir: out-many
executor: {workers: 2}
steps:
  - name: cat
    stages: [[winnow-cat]]
Y
cat >"$T/big.yaml" <<Y
inputs: ["$big"]
output_dir: out-big
steps:
  - name: cat
    stages: [[winnow-cat]]
Y
hf() { # hf PREPARE CMD -> median seconds
  hyperfine --style none --runs 3 --prepare "$1" --export-json "$T/hf.json" "$2" >/dev/null 2>&1 || { echo NaN; return; }
  jq -r '.results[0].median' "$T/hf.json" | awk '{printf "%.4f", $1}'
}
cpu() { # cpu PREPARE CMD -> median user+sys seconds of 3 runs
  local i t=()
  for i in 1 2 3; do
    sh -c "$1"
    /usr/bin/time -o "$T/time.txt" -f '%U %S' sh -c "$2" >/dev/null 2>&1
    t+=("$(awk '{printf "%.3f", $1+$2}' "$T/time.txt")")
  done
  printf '%s\n' "${t[@]}" | sort -n | sed -n 2p
}
mkdir -p "$T/xo"
w=$(hf "rm -rf $T/out-many" "$BIN/winnow-run --no-progress --no-report $T/many.yaml")
x=$(hf "rm -rf $T/xo/*" "ls $T/in/*.jsonl | xargs -P2 -I{} sh -c '$BIN/winnow-cat --no-progress {} | zstd -q -3 > $T/xo/\$(basename {}).zst'")
wc=$(cpu "rm -rf $T/out-many" "$BIN/winnow-run --no-progress --no-report $T/many.yaml")
xc=$(cpu "rm -rf $T/xo/*" "ls $T/in/*.jsonl | xargs -P2 -I{} sh -c '$BIN/winnow-cat --no-progress {} | zstd -q -3 > $T/xo/\$(basename {}).zst'")
echo "| run: 200 small files, CPU s | $wc | xargs+sh: $xc | $(ratio "$xc" "$wc")x | user+sys of all processes |"
echo "| run: 200 small files, -j2 (tasks/s) | $(awk -v s="$w" 'BEGIN{printf "%.0f", 200/s}') | xargs -P2 sh -c 'cat\\|zstd': $(awk -v s="$x" 'BEGIN{printf "%.0f", 200/s}') | $(ratio "$x" "$w")x | markers, logs, stats per task included; machine shared |"
w=$(hf "rm -rf $T/out-big" "$BIN/winnow-run --no-progress --no-report $T/big.yaml")
x=$(hf "rm -f $T/big.zst" "$BIN/winnow-cat --no-progress $big | zstd -q -3 >$T/big.zst")
bytes=$(zstd -qdc "$big" | wc -c)
wc=$(cpu "rm -rf $T/out-big" "$BIN/winnow-run --no-progress --no-report $T/big.yaml")
xc=$(cpu "rm -f $T/big.zst" "$BIN/winnow-cat --no-progress $big | zstd -q -3 >$T/big.zst")
echo "| run: one 52 MB file, CPU s | $wc | winnow-cat\\|zstd -3: $xc | $(ratio "$xc" "$wc")x | user+sys |"
echo "| run: one 52 MB file (MB/s) | $(rate "$bytes" "$w") | winnow-cat\\|zstd -3: $(rate "$bytes" "$x") | $(ratio "$x" "$w")x | zstd of the captured output in the runner |"
