#!/usr/bin/env bash
# bench-ingest: winnow-ingest throughput on article-pages-60.warc.gz (60 real
# pages, one gzip member per record) replicated to >= 100 MB of HTML, pinned
# to one CPU. Peer: `gzip -dc`, the floor any gzip WARC reader pays. Also
# the same WARC uncompressed (our parsing and JSON encoding alone).
# Prints one markdown row; medians of 3 runs.
. "$(dirname "$0")/../tests/lib.sh"
src=$(wn_data warc/article-pages-60.warc.gz) || { echo "| ingest | skipped (no data) | | | |"; exit 0; }
copies=8  # 8 x 13.7 MB of HTML
f=$WN_TMP/articles-x$copies.warc.gz
for _ in $(seq $copies); do cat "$src"; done >"$f"
pin=""; command -v taskset >/dev/null && pin="taskset -c 0"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# CPU seconds (user+sys) rather than wall time: the machine is shared by
# several agents, and wall time measures their load more than our code.
cpu() { local TIMEFORMAT='%U %S'; { time "$@" >/dev/null 2>&1; } 2>&1 | awk '{print $1 + $2}'; }
t_ing=(); t_zcat=(); t_plain=()
zcat "$f" >"$WN_TMP/plain.warc"
for _ in 1 2 3; do
  t_ing+=("$(cpu $pin "$BIN/winnow-ingest" --stats "$WN_TMP/s.json" "$f")")
  t_zcat+=("$(cpu $pin gzip -dc "$f")")
  t_plain+=("$(cpu $pin "$BIN/winnow-ingest" "$WN_TMP/plain.warc")")
done
html=$($PYTHON -c 'import json,sys; print(json.load(open(sys.argv[1]))["bytes_in"])' "$WN_TMP/s.json")
docs=$($PYTHON -c 'import json,sys; print(json.load(open(sys.argv[1]))["docs_out"])' "$WN_TMP/s.json")
ti=$(printf '%s\n' "${t_ing[@]}" | median); tz=$(printf '%s\n' "${t_zcat[@]}" | median)
tp=$(printf '%s\n' "${t_plain[@]}" | median); mp=$(echo "scale=1; $html / 1000000 / $tp" | bc)
mi=$(echo "scale=1; $html / 1000000 / $ti" | bc); mz=$(echo "scale=1; $html / 1000000 / $tz" | bc)
ratio=$(echo "scale=2; $mi / $mz" | bc)
echo "ingest: $docs pages, $html bytes of HTTP blocks, CPU s: winnow ${ti}, gzip -dc ${tz}, winnow on plain ${tp}" >&2
echo "| ingest article-pages x$copies ($((html / 1000000)) MB HTML, gzip WARC) | $mi MB/s | gzip -dc $mz MB/s | $ratio | MB of HTML per CPU second, medians of 3; peer is the decompression floor |"
echo "| ingest article-pages x$copies (uncompressed WARC) | $mp MB/s | | | parsing + JSON encoding alone |"
