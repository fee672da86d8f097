#!/usr/bin/env bash
# scripts/demo.sh -- what `make demo` runs: the default pipeline.yaml (WARC
# -> ingest | extract -> tokenizer counts -> tokenizer training -> tokenize
# -> pack) with the local executor on the sample WARCs in tests/data/demo,
# writing to out/demo/. A second run redoes nothing (completed tasks are
# skipped); `rm -rf out/demo` starts afresh.
set -u
cd "$(dirname "$0")/.."
bin/winnow-run --no-progress pipeline.yaml
rc=$?
out=out/demo
if [ $rc -ne 0 ]; then
  echo "demo: winnow-run failed (exit $rc); logs are in $out/work/*/*.log" >&2
  exit $rc
fi
echo
echo "demo: done"
echo "  documents:  $out/work/extract/*.jsonl.zst   (bin/winnow-cat $out/work/extract/00000.jsonl.zst | head -1)"
echo "  tokenizer:  $out/tokenizer/tokenizer.json (Hugging Face), tokenizer.tiktoken"
echo "  shards:     $out/shards/ (tokens.*.npy, segments.*.npy, manifest.json)"
echo "  report:     $out/report.html"
jq -r '.steps[] | "  step \(.name): \(.done)/\(.tasks) tasks done"' "$out/work/run.json"
jq -r '.counts.train | "  packed: \(.documents) documents, \(.tokens) tokens in \(.rows) rows of '"$(jq .seq_len "$out/shards/manifest.json")"' (fill \(.fill_rate * 1000 | round / 10)%)"' "$out/shards/manifest.json"
bin/winnow-pack --verify "$out/shards" 2>&1 | sed "s/^/  /"
