#!/usr/bin/env bash
# bench-pack.sh -- winnow-pack throughput on a synthetic token stream of
# 200M tokens (vocab 50257, so uint16 shards) whose document lengths are
# drawn from the real corpus (mixed-real-text byte lengths / 4, about one
# BPE token per 4 bytes). MB/s of shard output, fsync of every file
# included, pinned to one CPU (taskset -c 0: the writer threads, which hash
# and write the shards, and the input-hash thread share that core), median of
# 3 (PACK_BENCH_RUNS). There is no installable packer to
# compare with: the peer column is the disk itself, `dd bs=8M conv=fsync` of
# the same byte count, and the ratio is winnow / dd. Also the fill rate of
# bestfit and the documents concat cuts, on the same stream.
# PACK_BENCH_TOKENS overrides the stream size (default 200000000).
. "$(dirname "$0")/../tests/lib.sh"; . "$(dirname "$0")/lib.sh"
f=$(wn_data jsonl/mixed-real-text.jsonl.zst) || exit 1
N=${PACK_BENCH_TOKENS:-200000000}
"$BIN/winnow-cat" "$f" | jq -r '.text | utf8bytelength' >"$WN_TMP/lens.txt"
$PYTHON "$WN_ROOT/tests/tools/pack_stream.py" synth --tokens "$N" --vocab 50257 --seed 1 \
  --lengths "$WN_TMP/lens.txt" >"$WN_TMP/s.tok"
docs=$($PYTHON -c "import sys; sys.path.insert(0, '$WN_ROOT/tests/tools')
import struct; d = open('$WN_TMP/s.tok', 'rb').read()[-16:]; print(struct.unpack('<QQ', d)[0])")
out=$WN_TMP/out
# PACK_BENCH_BASE=/path/to/an/older/winnow-pack: each configuration also runs
# that binary, alternating with this one run by run (the machine is shared
# and noisy: alternation keeps before/after comparable), and prints its row.
BASE=${PACK_BENCH_BASE-}
RUNS=${PACK_BENCH_RUNS:-3}
PIN=${PIN-taskset -c 0}
# one BIN ARGS...: "wall cpu" seconds of one run (cpu = user + sys of all threads)
one() {
  local b=$1; shift
  rm -rf "$out"
  /usr/bin/time -f "%e %U %S" -o "$WN_TMP/t" $PIN "$b" -o "$out" "$@" "$WN_TMP/s.tok" >/dev/null 2>&1 || { echo "NaN NaN"; return 1; }
  awk '{print $1, $2 + $3}' "$WN_TMP/t"
}
med() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
# run ARGS...: RUNS runs (alternating with BASE when set); sets s/c (median
# wall/cpu of this binary) and bs/bc (of BASE); the output of this binary stays
run() {
  : >"$WN_TMP/new"; : >"$WN_TMP/base"
  for _ in $(seq "$RUNS"); do
    [ -n "$BASE" ] && one "$BASE" "$@" >>"$WN_TMP/base"
    one "$BIN/winnow-pack" "$@" >>"$WN_TMP/new"
  done
  s=$(cut -d' ' -f1 "$WN_TMP/new" | med); c=$(cut -d' ' -f2 "$WN_TMP/new" | med)
  [ -n "$BASE" ] && { bs=$(cut -d' ' -f1 "$WN_TMP/base" | med); bc=$(cut -d' ' -f2 "$WN_TMP/base" | med); }
  return 0
}
line() { # line LABEL SECS CPU BYTES DD NOTE
  local mt; mt=$(awk -v n="$N" -v s="$2" 'BEGIN{printf "%.0f", n/s/1e6}')
  local ddb=$(( ($4 / 8388608) * 8388608 ))
  echo "| pack: $1 | $(rate "$4" "$2") MB/s ($mt M tokens/s) | dd+fsync: $(rate "$ddb" "$5") MB/s | $(ratio "$(rate "$4" "$2")" "$(rate "$ddb" "$5")") | $(awk -v b="$4" 'BEGIN{printf "%.0f", b/1e6}') MB out; CPU $(printf %.2f "$3") s = $(rate "$4" "$3") MB per CPU-s; $6 |"
}
row() { # row LABEL NOTE (after run)
  local bytes; bytes=$(du -sb --exclude manifest.json "$out" | cut -f1)
  local dd; dd=$(median_secs 3 "dd if=/dev/zero of=$WN_TMP/dd bs=8M count=$((bytes / 8388608)) conv=fsync status=none; rm -f $WN_TMP/dd")
  line "$1" "$s" "$c" "$bytes" "$dd" "$2; median of $RUNS"
  [ -z "$BASE" ] || line "$1 (base: $BASE)" "$bs" "$bc" "$bytes" "$dd" "same run, alternating; median of $RUNS"
}
echo "# pack bench: $N tokens, $docs documents; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
run --format npy; row "npy bestfit seq 4096, ${N} tokens, 1 core" "fsync incl."
fill_b=$(jq -r '.counts.train.fill_rate' "$out/manifest.json"); cut_b=$(jq -r '.counts.train.documents_cut' "$out/manifest.json")
run --format npy --pack concat; row "npy concat seq 4096, 1 core" "fsync incl."
fill_c=$(jq -r '.counts.train.fill_rate' "$out/manifest.json"); cut_c=$(jq -r '.counts.train.documents_cut' "$out/manifest.json")
run --format megatron; row "megatron, 1 core" "fsync incl."
run --format llmc; row "llmc, 1 core" "fsync incl."
PIN=; run --format npy; row "npy bestfit seq 4096, not pinned (2 cores)" "helper threads (hashing, writing) on the other core"
echo "| pack: bestfit vs concat, seq 4096 | fill $(printf %.5f "$fill_b"), $cut_b of $docs docs cut | concat: fill $(printf %.5f "$fill_c"), $cut_c docs cut | $(ratio "$cut_c" "$cut_b")x fewer cuts | bestfit cuts only documents > seq_len |"
rm -rf "$out"
