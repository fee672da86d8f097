#!/usr/bin/env bash
# bench-pack.sh -- winnow-pack throughput on a synthetic token stream of
# 200M tokens (vocab 50257, so uint16 shards) whose document lengths are
# drawn from the real corpus (mixed-real-text byte lengths / 4, about one
# BPE token per 4 bytes). MB/s of shard output, fsync of every file
# included, pinned to one CPU (taskset -c 0: the AIO and input-hash helper
# threads share that core), median of 3. There is no installable packer to
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
# run NAME ARGS...: median seconds of 3 runs (output removed before each)
PIN=${PIN-taskset -c 0}
run() {
  hyperfine --style none --runs 3 --prepare "rm -rf $out" --export-json "$WN_TMP/hf.json" \
    "$PIN $BIN/winnow-pack -o $out $* $WN_TMP/s.tok" >/dev/null 2>&1 || { echo NaN; return 1; }
  jq -r '.results[0].median' "$WN_TMP/hf.json"
}
cpu() { jq -r '.results[0] | .user + .system' "$WN_TMP/hf.json"; } # mean CPU seconds of the last run()
row() { # row LABEL SECS NOTE
  local bytes; bytes=$(du -sb --exclude manifest.json "$out" | cut -f1)
  local c; c=$(cpu)
  local mt; mt=$(awk -v n="$N" -v s="$2" 'BEGIN{printf "%.0f", n/s/1e6}')
  local dd; dd=$(median_secs 3 "dd if=/dev/zero of=$WN_TMP/dd bs=8M count=$((bytes / 8388608)) conv=fsync status=none; rm -f $WN_TMP/dd")
  local ddb=$(( (bytes / 8388608) * 8388608 ))
  echo "| pack: $1 | $(rate "$bytes" "$2") MB/s ($mt M tokens/s) | dd+fsync: $(rate "$ddb" "$dd") MB/s | $(ratio "$(rate "$bytes" "$2")" "$(rate "$ddb" "$dd")") | $(awk -v b="$bytes" 'BEGIN{printf "%.0f", b/1e6}') MB out; CPU $(printf %.2f "$c") s = $(rate "$bytes" "$c") MB per CPU-s; $3 |"
}
echo "# pack bench: $N tokens, $docs documents; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
s=$(run --format npy); row "npy bestfit seq 4096, ${N} tokens, 1 core" "$s" "fsync incl.; median of 3"
fill_b=$(jq -r '.counts.train.fill_rate' "$out/manifest.json"); cut_b=$(jq -r '.counts.train.documents_cut' "$out/manifest.json")
s=$(run --format npy --pack concat); row "npy concat seq 4096, 1 core" "$s" "fsync incl.; median of 3"
fill_c=$(jq -r '.counts.train.fill_rate' "$out/manifest.json"); cut_c=$(jq -r '.counts.train.documents_cut' "$out/manifest.json")
s=$(run --format megatron); row "megatron, 1 core" "$s" "fsync incl.; median of 3"
s=$(run --format llmc); row "llmc, 1 core" "$s" "fsync incl.; median of 3"
PIN=; s=$(run --format npy); row "npy bestfit seq 4096, not pinned (2 cores)" "$s" "helper threads (AIO, input hash) on the other core; median of 3"
echo "| pack: bestfit vs concat, seq 4096 | fill $(printf %.5f "$fill_b"), $cut_b of $docs docs cut | concat: fill $(printf %.5f "$fill_c"), $cut_c docs cut | $(ratio "$cut_c" "$cut_b")x fewer cuts | bestfit cuts only documents > seq_len |"
rm -rf "$out"
