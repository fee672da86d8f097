#!/usr/bin/env bash
# bpe-hf.sh -- winnow-bpe train gives the same vocabulary and merges as
# Hugging Face tokenizers' BpeTrainer (npm tokenizers 0.23.2, trained through
# Tokenizer.train(files): default trainer, vocab 30000, no specials, only the
# bytes seen; input read line by line, each line with its '\n'). We feed the
# same lines as separate documents, with the same pre-tokenizer
# (Split(pattern, Isolated) + ByteLevel(use_regex=false)). Samples are
# strided because mixed-real-text is grouped by source: every language occurs.
source "$(dirname "$0")/../lib.sh"
data=$(wn_data jsonl/mixed-real-text.jsonl.zst) || wn_done
peers=$WN_ROOT/tests/peers
[ -d "$peers/node_modules/tokenizers" ] || { not_ok "npm tokenizers missing (ln -s node_modules, see tests/peers)"; wn_done; }

# sample STRIDE OFFSET NAME: lines of every STRIDE-th document -> NAME.txt (for
# HF) and NAME.jsonl (one document per line, "\n" included, for us)
sample() {
  zstd -dc "$data" | "$PYTHON" -c '
import sys, json
stride, off, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
txt = bytearray(); langs = set()
for i, l in enumerate(sys.stdin.buffer):
    if i % stride != off or not l.strip(): continue
    d = json.loads(l); t = d["text"]; langs.add(d.get("lang"))
    txt += t.encode("utf-8", "surrogatepass")
    if not t.endswith("\n"): txt += b"\n"
open(out + ".txt", "wb").write(txt)
with open(out + ".jsonl", "w") as f:
    for line in bytes(txt).split(b"\n")[:-1]:
        f.write(json.dumps({"text": (line + b"\n").decode("utf-8")}) + "\n")
print(len(langs))' "$1" "$2" "$3"
}

# compare NAME HF.json OURS.json: same vocab (string -> id) and merges
compare() {
  local r
  r=$("$PYTHON" - "$2" "$3" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["model"]; b = json.load(open(sys.argv[2]))["model"]
m = lambda x: [tuple(p) if isinstance(p, list) else tuple(p.split(" ")) for p in x["merges"]]
ma, mb = m(a), m(b)
if a["vocab"] != b["vocab"]: print("vocab differs (%d vs %d entries)" % (len(a["vocab"]), len(b["vocab"])))
elif ma != mb:
    i = next((k for k, (x, y) in enumerate(zip(ma, mb)) if x != y), min(len(ma), len(mb)))
    print("merge %d differs: hf %s ours %s (%d vs %d merges)" % (i, ma[i:i+1], mb[i:i+1], len(ma), len(mb)))
else: print("same %d %d" % (len(a["vocab"]), len(ma)))
PY
)
  case $r in same*) ok "$1: identical vocab and merges (${r#same })";; *) not_ok "$1: $r";; esac
}

for spec in "cl100k 20 0" "cl100k 23 11" "o200k 41 5" "gpt2 41 17"; do
  set -- $spec; pat=$1; stride=$2; off=$3; name="$WN_TMP/s-$pat-$stride"
  nl=$(sample "$stride" "$off" "$name")
  [ "$nl" -ge 7 ] && ok "$pat sample 1/$stride+$off has $nl languages" || not_ok "$pat sample has only $nl languages"
  (cd "$peers" && node hf_train.js "$pat" "$name.hf.json" "$name.txt" >/dev/null 2>&1) || not_ok "$pat: HF training failed"
  "$BIN/winnow-bpe" train --pattern "$pat" --alphabet seen --special '' --vocab-size 30000 -j 2 -o "$name.ours" "$name.jsonl" \
    || not_ok "$pat: winnow-bpe train failed"
  compare "$pat 1/$stride+$off vs HF BpeTrainer" "$name.hf.json" "$name.ours/tokenizer.json"
done

# threads do not change the result
name="$WN_TMP/s-cl100k-20"
"$BIN/winnow-bpe" train --alphabet seen --special '' --vocab-size 30000 -j 1 -o "$name.j1" "$name.jsonl"
check "-j 1 and -j 2 give the same tokenizer.json" cmp -s "$name.j1/tokenizer.json" "$name.ours/tokenizer.json"
# more threads than CPUs: capped to the CPUs (docs/bpe.md), same result
"$BIN/winnow-bpe" train --alphabet seen --special '' --vocab-size 30000 -j 64 --progress -o "$name.j64" "$name.jsonl" \
  2>"$WN_TMP/j64.err"
check "-j 64 gives the same tokenizer.json" cmp -s "$name.j1/tokenizer.json" "$name.j64/tokenizer.json"
parts=$(tr '\r' '\n' <"$WN_TMP/j64.err" | sed -n 's/.*(.*; \([0-9]*\) partitions.*/\1/p')
check "-j 64 trains with at most $(nproc) partitions (got '$parts')" test -n "$parts" -a "${parts:-999}" -le "$(nproc)"
wn_done
