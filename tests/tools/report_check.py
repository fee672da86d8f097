#!/usr/bin/python3
"""Check a winnow-report page (and its --json dump) against the work directory.

usage: report_check.py WORK_DIR REPORT.html [REPORT.json] [--absent SEC,...] [--present SEC,...]

The expected numbers are summed here, independently of the C code, straight
from run.json and every STEP/*.done.json (stats of each stage), the
tokenizer.meta.json and manifest.json files next to the steps' outputs.
The page is read with html.parser: every element with data-key/data-v is a
number the page shows. Checks (one "ok - "/"not ok - " line each):
  - every expected number is on the page with the same value, and the page
    shows no keyed number that the files do not account for;
  - the JSON dump carries the same per-stage sums;
  - the page is self-contained: no script, no external resource;
  - text from the files is escaped (a reason containing <script> shows as text);
  - every section is there; --absent ones say "not in this run", --present
    ones show numbers.
"""
import datetime
import glob
import html.parser
import json
import math
import os
import re
import sys

SECTIONS = ["funnel", "rejections", "lengths", "languages", "duplicates", "tokenizer", "packing", "timings",
            "failures"]
NON_DOC = {"tokenize", "pack", "bpe", "bpe-count", "bpe-train"}
failed = 0


def report(name, good, detail=""):
    global failed
    if good:
        print(f"ok - {name}")
    else:
        failed = 1
        print(f"not ok - {name}" + (f": {detail}" if detail else ""))


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values, self.dups, self.bad_refs, self.scripts, self.fails = {}, [], [], 0, []
        self.section, self.section_text, self.sections = None, {}, []
        self.cur_key, self.shown, self.section_keys = None, {}, {}
        self.stack, self.unbalanced = [], []

    VOID = {"meta", "br", "rect", "line", "path", "circle", "hr", "img", "link", "wbr"}

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs, selfclosed=True)

    def handle_starttag(self, tag, attrs, selfclosed=False):
        a = dict(attrs)
        if not selfclosed and tag not in self.VOID:
            self.stack.append(tag)
        if tag == "script":
            self.scripts += 1
        if tag in ("link", "img", "iframe", "object", "embed", "image", "use"):
            self.bad_refs.append(f"<{tag}>")
        for k, v in attrs:
            if k in ("src", "href", "xlink:href") and v and not v.startswith("#"):
                self.bad_refs.append(f"{k}={v}")
            if k.startswith("on"):
                self.bad_refs.append(f"event handler {k}")
        if tag == "section":
            self.section = a.get("id")
            self.sections.append(self.section)
            self.section_text[self.section] = ""
        if ("data-fail" in a or "data-key" in a) and self.section:
            self.section_keys[self.section] = self.section_keys.get(self.section, 0) + 1
        if "data-fail" in a:
            self.fails.append(a["data-fail"])
        if "data-key" in a:
            if a["data-key"] in self.values:
                self.dups.append(a["data-key"])
            self.values[a["data-key"]] = float(a["data-v"])
            self.cur_key = a["data-key"]
            self.shown[self.cur_key] = ""

    def handle_data(self, data):
        if self.cur_key:
            self.shown[self.cur_key] += data
        if self.section:
            self.section_text[self.section] += data

    def handle_endtag(self, tag):
        if tag not in self.VOID:
            if self.stack and self.stack[-1] == tag:
                self.stack.pop()
            else:
                self.unbalanced.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
        if tag == "td":
            self.cur_key = None
        if tag == "section":
            self.section = None


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def add(d, k, v):
    d[k] = d.get(k, 0) + v


def expected(work):
    """Sums from the files: {key: value} in the page's key scheme, and per-stage dicts for the JSON."""
    exp, stages = {}, []
    run = load(os.path.join(work, "run.json"))
    if run:
        steps = [s for s in run.get("steps", []) if isinstance(s.get("name"), str) and "/" not in s["name"]]
    else:
        steps = [{"name": d} for d in sorted(os.listdir(work))
                 if glob.glob(os.path.join(work, d, "*.done.json")) + glob.glob(os.path.join(work, d, "*.failed.json"))]
    sides = {"tok": [], "pack": []}
    order = []  # (step, index, name, agg) in pipeline order
    for st in steps:
        name = st["name"]
        secs, smax, ndone, t0, t1 = 0.0, 0.0, 0, None, None
        per = {}
        for p in sorted(glob.glob(os.path.join(work, name, "*.done.json"))):
            d = load(p)
            if not isinstance(d, dict):
                continue
            ndone += 1
            s = d.get("seconds")
            if isinstance(s, (int, float)) and s >= 0:
                secs += s
                smax = max(smax, s)
            else:
                s = 0
            fin = d.get("finished")
            if isinstance(fin, str):
                # an independent parse: the stdlib's, not the C one
                f = datetime.datetime.fromisoformat(fin.replace("Z", "+00:00")).timestamp()
                t0 = f - s if t0 is None else min(t0, f - s)
                t1 = f if t1 is None else max(t1, f)
            for i, stg in enumerate(d.get("stages") or []):
                stats = stg.get("stats") if isinstance(stg, dict) else None
                sname = stats.get("stage") if isinstance(stats, dict) and stats.get("stage") else \
                    os.path.basename((stg.get("argv") or ["?"])[0]).removeprefix("winnow-")
                g = per.setdefault((i, sname), {"tasks": 0, "reasons": {}, "langs": None, "clusters": None,
                                                "hin": [], "hout": [], "tokens": None, "text_bytes": None,
                                                "vocab": None})
                if not isinstance(stats, dict):
                    continue
                g["tasks"] += 1
                for f in ("docs_in", "docs_out", "docs_rejected", "docs_bad", "bytes_in", "bytes_out",
                          "input_errors"):
                    add(g, f, stats.get(f, 0))
                add(g, "seconds", stats.get("seconds", 0))
                for k, v in (stats.get("reasons") or {}).items():
                    add(g["reasons"], k, v)
                for keys, slot in ((("tokens_out", "tokens"), "tokens"), (("text_bytes", "text_bytes_in"), "text_bytes")):
                    for key in keys:
                        if isinstance(stats.get(key), int):
                            g[slot] = (g[slot] or 0) + stats[key]
                            break
                if "vocab_size" in stats:
                    g["vocab"] = max(g["vocab"] or 0, stats["vocab_size"])
                if "langs" in stats:
                    g["langs"] = g["langs"] or {}
                    for k, v in stats["langs"].items():
                        add(g["langs"], k, v)
                if "cluster_sizes" in stats:
                    g["clusters"] = g["clusters"] or {}
                    for k, v in stats["cluster_sizes"].items():
                        add(g["clusters"], k, v)
                for hk, slot in (("hist_bytes_in", "hin"), ("hist_bytes_out", "hout")):
                    h = stats.get(hk) or []
                    g[slot] += [0] * (len(h) - len(g[slot]))
                    for j, v in enumerate(h):
                        g[slot][j] += v
            out = d.get("output")
            if isinstance(out, str) and out:
                for cand in (out, os.path.join(work, out)):
                    for fname, kind in (("tokenizer.meta.json", "tok"), ("manifest.json", "pack")):
                        p2 = os.path.join(cand, fname)
                        if os.path.isfile(p2) and p2 not in [x[1] for x in sides[kind]] \
                                and os.path.realpath(p2) not in [os.path.realpath(x[1]) for x in sides[kind]]:
                            sides[kind].append((name, p2))
        exp[f"{name}/seconds"] = secs
        exp[f"{name}/seconds_max"] = smax
        if t1 is not None:
            exp[f"{name}/wall_seconds"] = t1 - t0
        nfail = len(glob.glob(os.path.join(work, name, "*.failed.json")))
        if "tasks" in st:
            exp[f"{name}/tasks"] = st["tasks"]
        exp[f"{name}/done"] = st.get("done", ndone)
        exp[f"{name}/failed"] = st.get("failed", nfail)
        for (i, sname), g in per.items():
            k = f"{name}/{i}"
            order.append((name, i, sname, g))
            for f in ("tasks", "docs_in", "docs_out", "docs_rejected", "docs_bad", "bytes_in", "bytes_out",
                      "input_errors"):
                exp[f"{k}/{f}"] = g.get(f, 0)
            exp[f"{k}/seconds"] = g.get("seconds", 0)
            for r, v in g["reasons"].items():
                exp[f"{k}/reason/{r}"] = v
            if g["tokens"] is not None:
                exp[f"{k}/tokens"] = g["tokens"]
                if g["tokens"]:
                    exp[f"{k}/tokens_per_doc"] = g["tokens"] / g["docs_out"] if g.get("docs_out") else 0
                    if g["text_bytes"] is not None:
                        exp[f"{k}/bytes_per_token"] = g["text_bytes"] / g["tokens"]
                    else:
                        exp[f"{k}/jsonl_bytes_per_token"] = g.get("bytes_in", 0) / g["tokens"]
            if g["vocab"] is not None:
                exp[f"{k}/vocab_size"] = g["vocab"]
            if g["langs"] is not None:
                for lang, v in g["langs"].items():
                    exp[f"{k}/lang/{lang}"] = v
            if g["clusters"] is not None:
                for size, v in g["clusters"].items():
                    exp[f"{k}/cluster/{size}"] = v
                exp[f"{k}/clusters"] = sum(g["clusters"].values())
                exp[f"{k}/cluster_docs"] = sum(int(s) * v for s, v in g["clusters"].items())
                exp[f"{k}/cluster_copies"] = sum((int(s) - 1) * v for s, v in g["clusters"].items() if int(s) > 0)
            stages.append({"step": name, "index": i, "stage": sname, **{f: g.get(f, 0) for f in (
                "docs_in", "docs_out", "docs_rejected", "docs_bad", "bytes_in", "bytes_out")},
                "reasons": g["reasons"], "hist_bytes_in": g["hin"], "hist_bytes_out": g["hout"]})
    order.sort(key=lambda o: ([s["name"] for s in steps].index(o[0]), o[1]))
    before = next((g["hin"] for _, _, _, g in order if any(g["hin"])), None)
    after = None
    for _, _, sname, g in order:
        if sname not in NON_DOC and any(g["hout"]):
            after = g["hout"]
    if before or after:
        hb, ha = before or [], after or []
        n = max(len(hb), len(ha))
        lo = next((i for i in range(n) if (i < len(hb) and hb[i]) or (i < len(ha) and ha[i])), n - 1)
        for i in range(lo, n):
            exp[f"hist/before/{i}"] = hb[i] if i < len(hb) else 0
            exp[f"hist/after/{i}"] = ha[i] if i < len(ha) else 0
    for i, (_, p) in enumerate(sides["tok"][:8]):  # the page shows 8
        m = load(p) or {}
        tr = m.get("training") or {}
        for key, v in (("vocab_size", m.get("vocab_size")), ("merges", m.get("merges")),
                       ("training_docs", tr.get("docs")), ("training_bytes", tr.get("bytes"))):
            if isinstance(v, (int, float)):
                exp[f"tokenizer/{i}/{key}"] = v
    for i, (_, p) in enumerate(sides["pack"][:8]):
        m = load(p) or {}
        for split, c in (m.get("counts") or {}).items():
            for f in ("documents", "tokens", "rows", "padding_tokens", "fill_rate", "documents_cut", "tokens_cut",
                      "shards"):
                if isinstance(c.get(f), (int, float)):
                    exp[f"pack/{i}/{split}/{f}"] = c[f]
        for src, c in (m.get("sources") or {}).items():
            for f in ("documents_in", "tokens_in", "documents_out", "tokens_out"):
                if isinstance(c.get(f), (int, float)):
                    exp[f"pack/{i}/source/{src}/{f}"] = c[f]
    return exp, stages


UNITS = {"B": 1, "KiB": 1024, "MiB": 1024 ** 2, "GiB": 1024 ** 3, "TiB": 1024 ** 4}


def shown_matches(text, v):
    """Does the text a person sees agree with the exact value?"""
    t = text.strip()
    m = re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})*", t)
    if m:
        return int(t.replace(",", "")) == round(v)
    m = re.fullmatch(r"([0-9.]+) (B|KiB|MiB|GiB|TiB)", t)
    if m:
        return math.isclose(float(m.group(1)) * UNITS[m.group(2)], v, rel_tol=0.01, abs_tol=0.5)
    m = re.fullmatch(r"([0-9.]+)%", t)
    if m:
        return math.isclose(float(m.group(1)) / 100, v, abs_tol=0.0001)
    m = re.fullmatch(r"([0-9.]+) s", t)
    if m:
        return math.isclose(float(m.group(1)), v, abs_tol=0.006)
    m = re.fullmatch(r"(\d+)m (\d+)s", t)
    if m:
        return abs(int(m.group(1)) * 60 + int(m.group(2)) - v) < 1
    m = re.fullmatch(r"(\d+)h (\d+)m", t)
    if m:
        return abs(int(m.group(1)) * 3600 + int(m.group(2)) * 60 - v) < 60
    try:
        return math.isclose(float(t), v, rel_tol=0.01)
    except ValueError:
        return False


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-9)


def main():
    args = sys.argv[1:]
    absent = present = []
    if "--absent" in args:
        i = args.index("--absent")
        absent = args[i + 1].split(",")
        del args[i:i + 2]
    if "--present" in args:
        i = args.index("--present")
        present = args[i + 1].split(",")
        del args[i:i + 2]
    work, page_path = args[0], args[1]
    json_path = args[2] if len(args) > 2 else None
    with open(page_path, encoding="utf-8") as f:
        text = f.read()
    page = Page()
    page.feed(text)
    exp, stages = expected(work)

    missing = [k for k in exp if k not in page.values]
    wrong = [f"{k}: page {page.values[k]} != files {exp[k]}" for k in exp if k in page.values
             and not close(page.values[k], exp[k])]
    extra = [k for k in page.values if k not in exp]
    report(f"page shows all {len(exp)} numbers summed from the stats files", not missing, ", ".join(missing[:10]))
    report("every number on the page equals the files' sum", not wrong, "; ".join(wrong[:10]))
    report("no number on the page that the files do not account for", not extra, ", ".join(extra[:10]))
    report("no duplicate keys on the page", not page.dups, ", ".join(page.dups[:5]))
    report("every element is closed, in order", not page.unbalanced and not page.stack,
           "; ".join(page.unbalanced[:5]) + (f" open at the end: {page.stack}" if page.stack else ""))
    bad_text = [f"{k}: '{page.shown[k]}' vs {page.values[k]}" for k in page.values
                if not shown_matches(page.shown.get(k, ""), page.values[k])]
    report(f"the {len(page.values)} formatted numbers a reader sees agree with the exact values", not bad_text,
           "; ".join(bad_text[:8]))
    report("self-contained: no script, no external resource",
           page.scripts == 0 and not page.bad_refs and "@import" not in text and "url(" not in text,
           f"{page.scripts} scripts; {page.bad_refs[:5]}")
    report("text from the files is escaped", "<script>alert" not in text, "raw <script> from a file")
    report("every section is on the page", all(s in page.sections for s in SECTIONS),
           str([s for s in SECTIONS if s not in page.sections]))
    for s in absent:
        report(f"section {s} says 'not in this run'", "not in this run" in page.section_text.get(s, ""))
    for s in present:
        has = page.section_keys.get(s, 0) > 0 or (s == "failures" and "No task failed" in page.section_text.get(s, ""))
        report(f"section {s} has data", has, page.section_text.get(s, "")[:200])
    fails = sorted(glob.glob(os.path.join(work, "*", "*.failed.json")))
    want = []
    for p in fails:
        step, task = os.path.basename(os.path.dirname(p)), (load(p) or {}).get("task")
        if not isinstance(task, int):
            task = int(os.path.basename(p).split(".")[0])
        done = os.path.exists(os.path.join(work, step, f"{task:05d}.done.json"))
        want.append(f"{step}/{task}/{'recovered' if done else 'failed'}")
    ftext = page.section_text.get("failures", "")
    report(f"failures section lists the {len(fails)} failed attempts with their status",
           sorted(page.fails) == sorted(want) and bool(fails or "No task failed" in ftext), f"{page.fails} != {want}")
    for p in glob.glob(os.path.join(work, "*", "*.failed.json")):
        log = (load(p) or {}).get("log")
        if log:
            report(f"failure log path shown: {os.path.basename(log)}", log in ftext)
    if json_path:
        dump = load(json_path)
        report("the --json dump is valid JSON", dump is not None)
        if dump is None:
            return
        got = [{"step": s["name"], "index": g["index"], "stage": g["stage"],
                **{f: g[f] for f in ("docs_in", "docs_out", "docs_rejected", "docs_bad", "bytes_in", "bytes_out")},
                "reasons": g["reasons"], "hist_bytes_in": g["hist_bytes_in"], "hist_bytes_out": g["hist_bytes_out"]}
               for s in dump["steps"] for g in s["stages"]]
        key = lambda s: (s["step"], s["index"], s["stage"])
        gs, es = sorted(got, key=key), sorted(stages, key=key)
        diff = [f"{a} != {b}" for a, b in zip(gs, es) if a != b]
        report(f"the --json dump's {len(es)} stage sums equal the files'", len(gs) == len(es) and not diff,
               (diff or [f"{len(gs)} != {len(es)} stages"])[0][:600])


main()
sys.exit(failed)
