#!/usr/bin/python3
"""extract_f1.py -- score extracted text against the annotated article bodies.

The metric of scrapinghub/article-extraction-benchmark, as the issue states it:
tokens are \\w+ runs (Unicode, case kept); each text becomes the multiset of
its word 4-grams (shingles); per page, precision = matched / predicted
shingles and recall = matched / true shingles; precision and recall are
averaged over pages (a page with empty output scores recall 0 and is left out
of the precision average); F1 = 2PR/(P+R) of the averages.

Usage: extract_f1.py GROUND_TRUTH.json OUTPUT.jsonl [--per-page] [--min F1]
OUTPUT.jsonl holds one {"id": KEY, "text": ...} per page (KEY = ground-truth
key, i.e. the file name's sha256, or a path/URL ending in KEY[.html[.gz]]);
a record whose id is not a key is matched by its "url" (as winnow-ingest
writes records of the dev WARC).
Pages absent from the output count as empty. Prints "P R F1 N" on stdout;
with --min exits 1 when F1 is below it. Stdlib only (it is a test tool).
"""
import json
import re
import sys
from collections import Counter

WORD = re.compile(r"\w+")
N = 4


def shingles(text):
    toks = WORD.findall(text or "")
    if not toks:
        return Counter()
    if len(toks) < N:
        return Counter([tuple(toks)])
    return Counter(tuple(toks[i:i + N]) for i in range(len(toks) - N + 1))


def key_of(s):
    s = s.rsplit("/", 1)[-1]
    for suf in (".gz", ".html"):
        if s.endswith(suf):
            s = s[: -len(suf)]
    return s


def main(argv):
    per_page = "--per-page" in argv
    minf = None
    args = []
    i = 1
    while i < len(argv):
        if argv[i] == "--per-page":
            pass
        elif argv[i] == "--min":
            i += 1
            minf = float(argv[i])
        else:
            args.append(argv[i])
        i += 1
    if len(args) != 2:
        sys.stderr.write(__doc__)
        return 2
    with open(args[0], encoding="utf-8") as f:
        truth = json.load(f)
    by_url = {v.get("url"): k for k, v in truth.items()}
    got = {}
    with open(args[1], encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            key = key_of(str(r.get("id", "")))
            if key not in truth:
                key = by_url.get(r.get("url"), key)
            got[key] = r.get("text") or ""
    ps, rs = [], []
    for key in sorted(truth):
        t = shingles(truth[key]["articleBody"])
        p = shingles(got.get(key, ""))
        tp = sum((t & p).values())
        if not p:
            prec, rec = None, 0.0
        else:
            prec = tp / sum(p.values())
            rec = tp / sum(t.values()) if t else 1.0
            ps.append(prec)
        rs.append(rec)
        if per_page:
            print("%s P=%s R=%.3f %s" % (key[:12], "-" if prec is None else "%.3f" % prec, rec,
                                         truth[key].get("url", "")), file=sys.stderr)
    P = sum(ps) / len(ps) if ps else 0.0
    R = sum(rs) / len(rs) if rs else 0.0
    F = 2 * P * R / (P + R) if P + R else 0.0
    print("%.4f %.4f %.4f %d" % (P, R, F, len(rs)))
    if minf is not None and F < minf:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
