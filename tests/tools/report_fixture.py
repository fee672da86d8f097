#!/usr/bin/python3
"""Build a realistic winnow-run work directory for the run-report tests.

usage: report_fixture.py BIN_DIR DATA_DIR WORK_DIR

The "cat" step's stats are real: bin/winnow-cat --stats is run on real JSONL
files from the shared data. The other stages' stats (ingest, extract, filter
with language counts, dedup with cluster sizes, bpe, tokenize, pack) are
written by hand here, shaped like what those stages write (lib/stage.c
write_stats plus their own members), with consistent counts from one stage
to the next. A tokenizer.meta.json and a pack manifest.json sit in the
barrier steps' output directories; one task failed once and recovered, one
failed for good. A reason name carries HTML to test escaping.

The committed fixture tests/data/report/work was made with this script.
"""
import datetime
import json
import os
import subprocess
import sys

BIN, DATA, WORK = sys.argv[1:4]


def dump(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=False)
        f.write("\n")


def stats(stage, din, dout, reasons, bin_, bout, secs, hin, hout, **extra):
    rej = sum(v for k, v in reasons.items() if not k.startswith("repaired"))
    bad = din - dout - rej
    assert bad >= 0, (stage, din, dout, rej)
    s = {"stage": stage, "docs_in": din, "docs_out": dout, "docs_rejected": rej, "docs_bad": bad,
         "bytes_in": bin_, "bytes_out": bout, "reasons": reasons, "input_errors": 0,
         "seconds": round(secs, 3), "hist_bytes_in": hin, "hist_bytes_out": hout}
    s.update(extra)
    for k, v in list(s.items()) + list(reasons.items()) + list(extra.get("langs", {}).items()):
        assert not isinstance(v, (int, float)) or v >= 0, (stage, k, v)
    return s


# A timeline like two local workers: a step starts when the previous one
# ended; its tasks run two at a time, each taking its "seconds".
clock = {"t": 1795924800.0, "step": None, "lanes": [0.0, 0.0]}  # 2026-11-29T04:00:00Z


def finished(step, seconds):
    if clock["step"] != step:
        clock["t"] = max([clock["t"]] + clock["lanes"])
        clock["lanes"] = [clock["t"], clock["t"]]
        clock["step"] = step
    lane = min(range(2), key=lambda i: clock["lanes"][i])
    clock["lanes"][lane] += seconds
    return datetime.datetime.fromtimestamp(clock["lanes"][lane], datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def done(step, task, stages, output, seconds, attempt=1):
    dump(f"{WORK}/{step}/{task:05d}.done.json",
         {"step": step, "task": task, "input": f"in/{task:05d}.warc.gz", "output": output,
          "def_hash": "3f2a9c" + str(len(step)), "seconds": seconds, "attempt": attempt,
          "finished": finished(step, seconds),
          "stages": [{"argv": [f"{BIN}/winnow-{s['stage']}"], "exit": 0, "stats": s} for s in stages]})


def scale(h, n):
    """The histogram h scaled to n records in all (largest remainder)."""
    tot = sum(h)
    if not tot:
        return []
    exact = [v * n / tot for v in h]
    out = [int(x) for x in exact]
    order = sorted(range(len(h)), key=lambda i: exact[i] - out[i], reverse=True)
    for i in order[:n - sum(out)]:
        out[i] += 1
    while out and out[-1] == 0:
        out.pop()
    return out


steps = []

# --- clean: cat | extract | filter, per input file ------------------------------
# cat's stats are REAL: bin/winnow-cat --stats on real JSONL files.
real = ["jsonl/cc-2019-30-697docs.jsonl.zst", "jsonl/dolma-multiple_files_cc_en_head-0091.jsonl.gz",
        "jsonl/dolma-provided_documents_000.json.gz", "jsonl/mixed-real-text.jsonl.zst"]
TASKS = len(real)
os.makedirs(WORK, exist_ok=True)
tmp = f"{WORK}/.stats.tmp.json"
clean_out, clean_hist, clean_bytes = [], [], []
for t, rel in enumerate(real):
    # records to stdout, discarded (never "-o /dev/null": the atomic writer renames over it)
    subprocess.run([f"{BIN}/winnow-cat", f"{DATA}/{rel}", "--stats", tmp], check=True, stdout=subprocess.DEVNULL)
    with open(tmp) as f:
        cat = json.load(f)
    os.remove(tmp)
    n = cat["docs_out"]
    ex_r = {"no-content": n // 50 + t, "empty": n // 200 + 1, "too-large": 1 if t == 3 else 0}
    ex_r = {k: v for k, v in ex_r.items() if v}
    bad = 1 if t == 2 else 0  # one malformed record
    ex_out = n - sum(ex_r.values()) - bad
    ex_bytes = int(cat["bytes_out"] * 0.93)
    ex = stats("extract", n, ex_out, ex_r, cat["bytes_out"], ex_bytes, 0.05 + n / 40000,
               cat["hist_bytes_out"], scale(cat["hist_bytes_out"], ex_out))
    fl_r = {"lang": ex_out // 12 + t, "gopher:too-short": ex_out // 20 + 1, "gopher:symbol-ratio": ex_out // 90,
            "c4:lorem-ipsum": 1, "custom:<script>alert(1)</script>": 1}
    fl_out = ex_out - sum(fl_r.values())
    langs = {"de": fl_out // 9, "fr": fl_out // 14, "es": fl_out // 25, "zh": fl_out // 60, "ar": fl_out // 500}
    langs = {"en": fl_out - sum(langs.values()), **langs}
    fl_bytes = int(ex_bytes * fl_out / max(ex_out, 1))
    fl = stats("filter", ex_out, fl_out, fl_r, ex_bytes, fl_bytes, 0.02 + n / 60000,
               ex["hist_bytes_out"], scale(ex["hist_bytes_out"], fl_out), langs=langs)
    clean_out.append(fl_out)
    clean_hist.append(fl["hist_bytes_out"])
    clean_bytes.append(fl_bytes)
    secs = round(cat["seconds"] + ex["seconds"] + fl["seconds"] + 0.05, 3)
    if t == 1:  # first attempt died; the retry succeeded
        dump(f"{WORK}/clean/{t:05d}.failed.json",
             {"step": "clean", "task": t, "attempt": 1, "log": f"{WORK}/logs/clean-00001.1.log",
              "stages": [{"argv": ["winnow-cat"], "exit": 0}, {"argv": ["winnow-extract"], "exit": -1, "signal": 9},
                         {"argv": ["winnow-filter"], "exit": 141}],
              "error": "killed by signal 9"})
        done("clean", t, [cat, ex, fl], f"work/clean/{t:05d}.jsonl.zst", secs, attempt=2)
    else:
        done("clean", t, [cat, ex, fl], f"work/clean/{t:05d}.jsonl.zst", secs)
steps.append({"name": "clean", "barrier": False, "tasks": TASKS, "done": TASKS, "failed": 0})

# --- dedup, per file ----------------------------------------------------------
dedup_out, dedup_bytes = [], []
for t in range(TASKS):
    din = clean_out[t]
    big = din > 50
    clusters = {"2": din // 40 + t * big, "3": din // 300 + big, "5": din // 2000 if t else 0, "17": 1 if t == 3 else 0,
                "118": 1 if t == 3 else 0}
    clusters = {k: v for k, v in clusters.items() if v}
    removed = sum((int(k) - 1) * v for k, v in clusters.items())
    r = {k: v for k, v in {"near-dup": max(removed - 1, 0), "exact-dup": min(removed, 1)}.items() if v}
    out = din - removed
    ob = int(clean_bytes[t] * out / din)
    s = stats("dedup", din, out, r, clean_bytes[t], ob, 0.05 + din / 30000,
              clean_hist[t], scale(clean_hist[t], out), cluster_sizes=clusters)
    dedup_out.append(out)
    dedup_bytes.append(ob)
    done("dedup", t, [s], f"work/dedup/{t:05d}.jsonl.zst", round(s["seconds"] + 0.02, 3))
steps.append({"name": "dedup", "barrier": False, "tasks": TASKS, "done": TASKS, "failed": 0})

# --- tokenizer: per-file counts, then one barrier training ---------------------------
for t in range(TASKS):
    s = stats("bpe", dedup_out[t], dedup_out[t], {}, dedup_bytes[t], 120_000 + t * 999, 0.3,
              [], [], distinct_pieces=20_000 + t)
    done("bpe-count", t, [s], f"work/bpe-count/{t:05d}.counts", 0.35)
steps.append({"name": "bpe-count", "barrier": False, "tasks": TASKS, "done": TASKS, "failed": 0})
train = stats("bpe", TASKS, TASKS, {}, 360_000, 60_000, 4.2, [], [], vocab_size=4096, merges=3827,
              distinct_pieces=52_311)
done("bpe-train", 0, [train], "out/tokenizer", 4.3)
dump(f"{WORK}/out/tokenizer/tokenizer.meta.json",
     {"format": "winnow-bpe", "version": 1, "pattern": "'s|'t|\\p{L}+", "pattern_name": "cl100k",
      "vocab_size": 4096, "specials": {"<|endoftext|>": 4095}, "id_order": "specials-last",
      "alphabet": "all-bytes", "merges": 3839, "vocab_size_requested": 4096, "min_frequency": 2,
      "training": {"docs": sum(dedup_out), "bytes": int(sum(dedup_bytes) * 0.85), "distinct_pieces": 52_311, "seconds": 4.1,
                   "threads": 2}, "hash": "sha256:9d1c5e"})
steps.append({"name": "bpe-train", "barrier": True, "tasks": 1, "done": 1, "failed": 0})

# --- tokenize, per file; the last task failed for good -----------------------------------------
tok_docs = tok_tokens = 0
for t in range(TASKS - 1):
    n = dedup_out[t]
    tokens = int(dedup_bytes[t] * 0.85 / 4.2)
    s = stats("tokenize", n, n, {}, dedup_bytes[t], 12 * n + 4 * tokens, 0.2 + n / 9000, [], [],
              tokens_out=tokens, text_bytes=int(dedup_bytes[t] * 0.85))
    tok_docs += n
    tok_tokens += tokens
    done("tokenize", t, [s], f"work/tokenize/{t:05d}.tok", 1.2)
dump(f"{WORK}/tokenize/00003.failed.json",
     {"step": "tokenize", "task": 3, "attempt": 3, "log": f"{WORK}/logs/tokenize-00003.3.log",
      "stages": [{"argv": ["winnow-tokenize", "--tokenizer", "out/tokenizer/tokenizer.json"], "exit": 1}]})
steps.append({"name": "tokenize", "barrier": False, "tasks": TASKS, "done": TASKS - 1, "failed": 1})

# --- pack, barrier ----------------------------------------------------------------------
seq = 2048
rows = (tok_tokens + seq - 1) // seq + 1
pad = rows * seq - tok_tokens + 300
pack = stats("pack", tok_docs, tok_docs - 2, {"too-short": 2}, 12 * tok_docs + 4 * tok_tokens, rows * seq * 2, 0.6,
             [], [])
done("pack", 0, [pack], "out/shards", 0.7)
cells = rows * seq
dump(f"{WORK}/out/shards/manifest.json",
     {"format": "npy", "dtype": "uint16", "mode": "pretrain", "seq_len": seq, "pack": "bestfit",
      "tokenizer": {"hash": "sha256:9d1c5e", "vocab_size": 4096, "eos_id": 4095, "bos_id": None, "pad_id": 4095},
      "input": {"documents": tok_docs, "documents_rejected": 2, "documents_bad": 0},
      "counts": {"train": {"documents": tok_docs - 2, "tokens": tok_tokens - 300, "rows": rows,
                           "padding_tokens": pad, "fill_rate": (tok_tokens - 300) / cells,
                           "padding_fraction": pad / cells, "documents_cut": 1, "tokens_cut": 212,
                           "truncation_fraction": 212 / tok_tokens, "shards": 1}},
      "sources": {"cc/CC-MAIN-2024-10": {"documents_in": tok_docs - 20, "tokens_in": tok_tokens - 9000,
                                         "documents_out": tok_docs - 22, "tokens_out": tok_tokens - 9300,
                                         "share_out": (tok_tokens - 9300) / (tok_tokens - 300)},
                  "wikipedia": {"documents_in": 20, "tokens_in": 9000, "documents_out": 20, "tokens_out": 9000,
                                "share_out": 9000 / (tok_tokens - 300)}}})
steps.append({"name": "pack", "barrier": True, "tasks": 1, "done": 1, "failed": 0})

dump(f"{WORK}/run.json", {"name": "demo <fixture>", "yaml": "pipeline.yaml", "started": "2026-11-29T04:00:00Z",
                          "ended": "2026-11-29T04:03:25Z", "executor": "local", "steps": steps})
