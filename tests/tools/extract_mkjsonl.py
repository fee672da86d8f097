#!/usr/bin/python3
"""extract_mkjsonl.py -- build winnow-extract input records from a directory
of *.html.gz pages: one {"id": NAME, "html": ...} per page (NAME = file name
without .html.gz). Bytes that are not UTF-8 become U+FFFD, as a JSON string
must hold Unicode. Usage: extract_mkjsonl.py DIR [REPEAT] > out.jsonl
(REPEAT copies of the whole set, ids suffixed with #k after the first).
Stdlib only (a test tool)."""
import gzip
import json
import os
import sys


def main(argv):
    d = argv[1]
    rep = int(argv[2]) if len(argv) > 2 else 1
    names = sorted(n for n in os.listdir(d) if n.endswith(".html.gz") or n.endswith(".html"))
    pages = []
    for n in names:
        p = os.path.join(d, n)
        raw = gzip.open(p).read() if n.endswith(".gz") else open(p, "rb").read()
        key = n[: -len(".html.gz")] if n.endswith(".html.gz") else n[: -len(".html")]
        pages.append((key, raw.decode("utf-8", errors="replace")))
    out = sys.stdout
    for k in range(rep):
        for key, html in pages:
            rid = key if k == 0 else "%s#%d" % (key, k)
            out.write(json.dumps({"id": rid, "html": html}, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
