#!/usr/bin/env bash
# pack-formats.sh -- winnow-pack writes npy (bestfit, concat), Megatron and
# llm.c shards from a strided sample of real documents; every format is read
# back with the readers trainers use (numpy, a Megatron-layout reader, llm.c's
# np.fromfile) and compared token for token with the input stream.
. "$(dirname "$0")/../lib.sh"
TOOLS=$WN_ROOT/tests/tools
src=$(wn_data jsonl/mixed-real-text.jsonl.zst) || wn_done
# every 17th document: all sources (the file is grouped by source), lengths
# from a few bytes to ~1 MB
"$BIN/winnow-cat" "$src" >"$WN_TMP/docs.jsonl"
$PYTHON "$TOOLS/pack_stream.py" gen --stride 17 <"$WN_TMP/docs.jsonl" >"$WN_TMP/s16.tok"
$PYTHON "$TOOLS/pack_stream.py" gen --stride 23 --vocab 100000 --spread --eos 99999 --pad 99998 \
  <"$WN_TMP/docs.jsonl" >"$WN_TMP/s32.tok"
rm -f "$WN_TMP/docs.jsonl"

run() { # run NAME DIR ARGS... : pack, verify, read back
  local name=$1 dir=$2; shift 2
  local stream=${*: -1}
  if "$BIN/winnow-pack" -o "$dir" "$@" 2>"$WN_TMP/err"; then ok "$name: pack"; else not_ok "$name: pack ($(head -3 "$WN_TMP/err"))"; return; fi
  check "$name: --verify" "$BIN/winnow-pack" --verify "$dir"
  $PYTHON "$TOOLS/pack_check.py" "$dir" "$stream" | sed "s/^\(not \)\{0,1\}ok - /&$name: /" >"$WN_TMP/chk"
  cat "$WN_TMP/chk"
  grep -q '^not ok' "$WN_TMP/chk" && WN_FAILED=1
  rm -rf "$dir"
}

# small buffers and shards so that flushing, carrying and patched headers of
# short last shards are all exercised
run "npy bestfit u16" "$WN_TMP/a" --seq-len 512 --buffer-tokens 300000 --shard-tokens 200000 "$WN_TMP/s16.tok"
run "npy concat u16" "$WN_TMP/b" --pack concat --seq-len 1000 --buffer-tokens 123457 --shard-tokens 500000 "$WN_TMP/s16.tok"
run "npy concat + val" "$WN_TMP/b2" --pack concat --seq-len 700 --val-docs 30 "$WN_TMP/s16.tok"
run "npy bestfit u32 + val" "$WN_TMP/c" --seq-len 2048 --val-fraction 0.05 --seed 7 "$WN_TMP/s32.tok"
run "npy midtrain" "$WN_TMP/d" --mode midtrain --buffer-tokens 1M "$WN_TMP/s16.tok"
run "megatron u16" "$WN_TMP/e" --format megatron "$WN_TMP/s16.tok"
run "megatron i32 + val" "$WN_TMP/f" --format megatron --val-fraction 0.03 "$WN_TMP/s32.tok"
run "llmc u16" "$WN_TMP/g" --format llmc --shard-tokens 400000 "$WN_TMP/s16.tok"
run "llmc u32 + val" "$WN_TMP/h" --format llmc --shard-tokens 300000 --val-docs 40 "$WN_TMP/s32.tok"

# stdin works like a file
if "$BIN/winnow-pack" -o "$WN_TMP/i" --format llmc <"$WN_TMP/s16.tok" 2>/dev/null; then
  check_eq "stdin input: same tokens as from a file" \
    "$(jq -r '.counts.train.tokens' "$WN_TMP/i/manifest.json")" \
    "$(stat -c %s "$WN_TMP/i/winnow_train_000000.bin" | awk '{print ($1 - 1024) / 2}')"
  check_eq "stdin input: provenance names stdin" "$(jq -r '.provenance.inputs[0].path' "$WN_TMP/i/manifest.json")" "-"
else
  not_ok "stdin input"
fi
# a pipe given as a file name (/dev/stdin): read once (not hashed behind the
# reader's back), same shards as from the regular file
"$BIN/winnow-pack" -o "$WN_TMP/j1" --seq-len 300 "$WN_TMP/s16.tok" 2>/dev/null
cat "$WN_TMP/s16.tok" | "$BIN/winnow-pack" -o "$WN_TMP/j2" --seq-len 300 /dev/stdin 2>/dev/null
check_eq "pipe input: same shards as the file" "$(jq -c '[.files[].sha256]' "$WN_TMP/j2/manifest.json")" \
  "$(jq -c '[.files[].sha256]' "$WN_TMP/j1/manifest.json")"
check_eq "pipe input: provenance bytes read, no hash" "$(jq -c '.provenance.inputs[0] | [.bytes, .xxh3_128]' "$WN_TMP/j2/manifest.json")" \
  "[$(stat -c %s "$WN_TMP/s16.tok"),null]"
check_eq "file input: provenance xxh3_128 is xxh128sum's" "$(jq -r '.provenance.inputs[0].xxh3_128' "$WN_TMP/j1/manifest.json")" \
  "$(xxh128sum <"$WN_TMP/s16.tok" | cut -d' ' -f1)"
wn_done
