#!/usr/bin/env bash
# bench-tokenize: encoding speed of winnow-tokenize vs npm tiktoken (WASM)
# and HF tokenizers (native), side by side in one run, on every 3rd
# document of mixed-real-text (32k documents, ~12 MB of text, all
# languages; BENCH_STRIDE=1 for all), MB/s of document text. winnow's time
# is the whole process (load the tokenizer, read JSONL, write the token
# stream); the peers' is their encode loop only (texts already in memory).
# Medians of BENCH_RUNS (3) runs. Also checks, on the full file, that
# winnow's cl100k ids equal tiktoken's for every document.
. "$(dirname "$0")/../tests/lib.sh"
P=$WN_ROOT/tests/peers
RUNS=${BENCH_RUNS:-3}
D=$(wn_data jsonl/mixed-real-text.jsonl.zst) || exit 1
TJ=$(wn_data tokenizers/olmo2-dolma2-tokenizer.json) || exit 1
zstd -dc "$D" >"$WN_TMP/full.jsonl"
awk -v s="${BENCH_STRIDE:-3}" 'NR % s == 0' "$WN_TMP/full.jsonl" >"$WN_TMP/c.jsonl"
bytes=$($PYTHON -c 'import json,sys; print(sum(len(json.loads(l)["text"].encode()) for l in open(sys.argv[1])))' "$WN_TMP/c.jsonl")
mb=$(echo "$bytes / 1000000" | bc -l)
node "$P/tiktoken_encode.js" ranks cl100k_base "$WN_TMP/cl100k.tiktoken"
node "$P/tiktoken_encode.js" ranks o200k_base "$WN_TMP/o200k.tiktoken"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ours() { # ours ARGS... -> median seconds
  for _ in $(seq "$RUNS"); do
    s=$(date +%s.%N); "$BIN/winnow-tokenize" "$@" "$WN_TMP/c.jsonl" >/dev/null || return 1; e=$(date +%s.%N)
    echo "$e - $s" | bc -l
  done | median
}
peer() { # peer SCRIPT MODEL -> median seconds
  for _ in $(seq "$RUNS"); do
    RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false node "$P/$1" bench "$2" <"$WN_TMP/c.jsonl" |
      $PYTHON -c 'import json,sys; print(json.load(sys.stdin)["seconds"])'
  done | median
}
rate() { printf '%.1f' "$(echo "$mb / $1" | bc -l)"; }
ratio() { printf '%.2fx' "$(echo "$2 / $1" | bc -l)"; }

t1=$(ours --tiktoken "$WN_TMP/cl100k.tiktoken" --pattern cl100k)
t2=$(ours -j 2 --tiktoken "$WN_TMP/cl100k.tiktoken" --pattern cl100k)
tt=$(peer tiktoken_encode.js cl100k_base)
th=$(peer hf_encode.js "$TJ")
tj=$(ours --tokenizer "$TJ")
o1=$(ours --tiktoken "$WN_TMP/o200k.tiktoken" --pattern o200k)
ot=$(peer tiktoken_encode.js o200k_base)
load=$(uptime | sed 's/.*load average: //')
echo "| tokenize cl100k, 1 thread, MB/s (vs npm tiktoken WASM) | $(rate "$t1") | $(rate "$tt") | $(ratio "$t1" "$tt") | goal >= 3x; load avg $load |"
echo "| tokenize cl100k (OLMo 2 tokenizer.json), 1 thread, MB/s (vs HF tokenizers) | $(rate "$tj") | $(rate "$th") | $(ratio "$tj" "$th") | goal >= 5x |"
echo "| tokenize o200k, 1 thread, MB/s (vs npm tiktoken WASM) | $(rate "$o1") | $(rate "$ot") | $(ratio "$o1" "$ot") | |"
echo "| tokenize cl100k -j 2 vs -j 1, MB/s | $(rate "$t2") | $(rate "$t1") | $(ratio "$t2" "$t1") | goal >= 1.6x; 2 shared cores |"

node "$P/tiktoken_encode.js" encode cl100k_base <"$WN_TMP/full.jsonl" >"$WN_TMP/ref.jsonl"
"$BIN/winnow-tokenize" -j 2 --tiktoken "$WN_TMP/cl100k.tiktoken" --pattern cl100k --emit jsonl --eos none "$D" >"$WN_TMP/ours.jsonl"
n=$(wc -l <"$WN_TMP/ref.jsonl")
same=$(paste -d'\n' "$WN_TMP/ref.jsonl" "$WN_TMP/ours.jsonl" | awk 'NR % 2 == 1 {a = $0; next} a == $0 {s++} END {print s + 0}')
echo "| tokenize cl100k exactness, full mixed-real-text | $same/$n docs identical | tiktoken | | $([ "$same" = "$n" ] && echo ok || echo MISMATCH) |"
