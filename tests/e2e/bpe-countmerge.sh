#!/usr/bin/env bash
# bpe-countmerge.sh -- map/reduce training: `winnow-bpe count --shard I/N`
# on each shard, then `train --counts`, gives the same tokenizer as training
# on the whole corpus at once; bad input and broken count files are refused.
source "$(dirname "$0")/../lib.sh"
data=$(wn_data jsonl/mixed-real-text.jsonl.zst) || wn_done
zstd -dc "$data" | awk 'NR % 7 == 2' >"$WN_TMP/s.jsonl"
split -n l/5 -d "$WN_TMP/s.jsonl" "$WN_TMP/part."
gzip "$WN_TMP/part.01"; zstd -q --rm "$WN_TMP/part.03"   # compressed inputs too
parts=$(ls "$WN_TMP"/part.*)
T=(--vocab-size 6000 --special '<|endoftext|>,<|pad|>')

"$BIN/winnow-bpe" train "${T[@]}" -o "$WN_TMP/whole" $parts || not_ok "whole-corpus training failed"
for i in 0 1 2; do
  "$BIN/winnow-bpe" count --shard $i/3 -j 2 -o "$WN_TMP/counts.$i" $parts || not_ok "count shard $i failed"
done
"$BIN/winnow-bpe" train "${T[@]}" --counts -o "$WN_TMP/merged" "$WN_TMP"/counts.* || not_ok "train --counts failed"
check "count --shard I/3 + train --counts == whole-corpus training" \
  cmp -s "$WN_TMP/whole/tokenizer.json" "$WN_TMP/merged/tokenizer.json"
check ".tiktoken identical too" cmp -s "$WN_TMP/whole/tokenizer.tiktoken" "$WN_TMP/merged/tokenizer.tiktoken"
stats() { "$PYTHON" -c 'import json,sys; t=json.load(open(sys.argv[1]))["training"]; print(t["docs"], t["bytes"], t["distinct_pieces"])' "$1"; }
check_eq "corpus stats carried through count files" "$(stats "$WN_TMP/merged/tokenizer.meta.json")" "$(stats "$WN_TMP/whole/tokenizer.meta.json")"

"$BIN/winnow-bpe" count -o "$WN_TMP/one" $parts && "$BIN/winnow-bpe" train "${T[@]}" --counts -o "$WN_TMP/one.out" "$WN_TMP/one"
check "one count file (N=1) == whole" cmp -s "$WN_TMP/whole/tokenizer.json" "$WN_TMP/one.out/tokenizer.json"

# a truncated count file is refused and no tokenizer appears
zstd -dc "$WN_TMP/counts.1" | head -c 5000 | zstd -q >"$WN_TMP/counts.bad"
"$BIN/winnow-bpe" train --counts -o "$WN_TMP/bad.out" "$WN_TMP/counts.0" "$WN_TMP/counts.bad" 2>"$WN_TMP/err"
check_eq "truncated count file: exit 1" "$?" 1
grep -q "truncated" "$WN_TMP/err" && ok "truncated count file: message says so" || not_ok "message: $(cat "$WN_TMP/err")"
[ ! -e "$WN_TMP/bad.out/tokenizer.json" ] && ok "no tokenizer from a bad count file" || not_ok "tokenizer written from a bad count file"
"$BIN/winnow-bpe" train --counts --pattern o200k -o "$WN_TMP/pat.out" "$WN_TMP/counts.0" 2>/dev/null
check_eq "--pattern differing from the count files': exit 1" "$?" 1

# bad records are accounted for: missing text, non-string text, broken JSON
printf '%s\n' '{"text":"hello world"}' '{"id":1}' '{"text":5}' '{"text":"a' '{"text":"again hello"}' >"$WN_TMP/bad.jsonl"
"$BIN/winnow-bpe" train -o "$WN_TMP/b.out" --stats "$WN_TMP/b.stats" "$WN_TMP/bad.jsonl" 2>"$WN_TMP/err"
check_eq "bad records: exit 1" "$?" 1
check_eq "bad records: stats" "$("$PYTHON" -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["docs_in"], s["docs_out"], s["docs_bad"])' "$WN_TMP/b.stats")" "5 2 3"
grep -q "bad.jsonl:line 2: missing text" "$WN_TMP/err" && ok "bad record message names file and line" || not_ok "message: $(head -2 "$WN_TMP/err")"
[ -s "$WN_TMP/b.out/tokenizer.json" ] && ok "tokenizer still written from the good records" || not_ok "no tokenizer"

# usage errors
"$BIN/winnow-bpe" count --shard 3/3 -o "$WN_TMP/x" "$WN_TMP/s.jsonl" 2>/dev/null; check_eq "--shard 3/3: exit 2" "$?" 2
"$BIN/winnow-bpe" train "$WN_TMP/s.jsonl" 2>/dev/null; check_eq "train without -o: exit 2" "$?" 2
"$BIN/winnow-bpe" frobnicate 2>/dev/null; check_eq "unknown subcommand: exit 2" "$?" 2
"$BIN/winnow-bpe" train --pattern '(' -o "$WN_TMP/re" "$WN_TMP/s.jsonl" 2>/dev/null; check_eq "bad regex: exit 1" "$?" 1
wn_done
