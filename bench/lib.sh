# bench/lib.sh -- sourced by bench/bench-*.sh (after tests/lib.sh).
# median_secs RUNS CMD: median wall seconds of CMD over RUNS runs (hyperfine,
# one warm-up run), printed with 4 decimals.
median_secs() {
  local runs=$1; shift
  hyperfine --style none --warmup 1 --runs "$runs" --export-json "$WN_TMP/hf.json" "$*" >/dev/null 2>&1 || { echo NaN; return 1; }
  jq -r '.results[0].median' "$WN_TMP/hf.json" | awk '{printf "%.4f", $1}'
}
# rate BYTES SECS: MB/s
rate() { awk -v b="$1" -v s="$2" 'BEGIN{printf "%.1f", b/s/1e6}'; }
# ratio A B: A/B with 2 decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
