#!/usr/bin/python3
"""pack_check.py -- read winnow-pack output back with the readers trainers
use and compare it with the input token stream(s), token for token.

  pack_check.py DIR STREAM... [--mix]

npy: numpy.load(mmap_mode="r") of tokens.* / segments.* (and val_*);
megatron: tests/tools/megatron_reader.py; llmc: np.fromfile as llm.c's
train_gpt2.py reads a shard (256 x int32 header, then tokens).
Prints "ok - ..." / "not ok - ..." lines; exits 1 when a check failed.
"""
import collections
import glob
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from megatron_reader import IndexedDataset  # noqa: E402
from pack_stream import read_stream  # noqa: E402

failed = 0


def check(name, cond, detail=""):
    global failed
    if cond:
        print(f"ok - {name}")
    else:
        failed = 1
        print(f"not ok - {name} {detail}")


def chunks(t, L):
    return [t[i:i + L] for i in range(0, len(t), L)]


def npy_pieces(dirname, prefix, L, pad, man):
    """Pieces (document segments) of every row, and per-check facts."""
    tf = sorted(glob.glob(os.path.join(dirname, prefix + "tokens.*.npy")))
    sf = sorted(glob.glob(os.path.join(dirname, prefix + "segments.*.npy")))
    pieces, rows, padn, pad_ok, seg_ok = [], 0, 0, True, True
    for a, b in zip(tf, sf):
        tok = np.load(a, mmap_mode="r")
        seg = np.load(b, mmap_mode="r")
        assert tok.shape == seg.shape and tok.shape[1] == L, (a, tok.shape, seg.shape)
        assert str(tok.dtype) == man["dtype"], (tok.dtype, man["dtype"])
        rows += tok.shape[0]
        for r in range(tok.shape[0]):
            t, s = np.asarray(tok[r]), np.asarray(seg[r]).astype(np.int64)
            padmask = s == 0
            padn += int(padmask.sum())
            if not np.all(t[padmask] == pad):
                pad_ok = False
            used = int((~padmask).sum())
            if used and (s[0] != 1 or np.any(padmask[:used])):
                seg_ok = False
            d = np.diff(s[:used])
            if np.any((d != 0) & (d != 1)):
                seg_ok = False
            cuts = np.flatnonzero(d) + 1
            for p in np.split(t[:used], cuts):
                pieces.append(p.astype(np.uint32).tobytes())
    return pieces, rows, padn, pad_ok, seg_ok, len(tf) == len(sf)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    mix = "--mix" in sys.argv
    d, streams = args[0], args[1:]
    man = json.load(open(os.path.join(d, "manifest.json")))
    docs = []
    for s in streams:
        hdr, dd = read_stream(s)
        docs += dd
    check("manifest tokenizer matches stream header",
          man["tokenizer"]["vocab_size"] == hdr["vocab_size"] and man["tokenizer"]["hash"] == hdr["tokenizer_hash"])
    mind = man["min_doc_tokens"]
    elig = [t for (_, _, t) in docs if len(t) > 0 and len(t) >= mind]
    counts = man["counts"]
    val = "val" in counts
    fmt = man["format"]
    vocab = hdr["vocab_size"]
    ntr = counts["train"]["tokens"]
    nval = counts["val"]["tokens"] if val else 0
    if not mix:
        check("every eligible token is in train or val exactly once",
              ntr + nval == sum(len(t) for t in elig), f"{ntr}+{nval} vs {sum(len(t) for t in elig)}")
    if fmt == "npy":
        L, pad = man["seq_len"], man["pad_token"]
        exp_pad = hdr["pad_id"] if hdr["pad_id"] >= 0 else hdr["eos_id"]
        check("padding uses PAD, else EOS", pad == exp_pad, f"{pad} vs {exp_pad}")
        got, rows, padn, pad_ok, seg_ok, paired = npy_pieces(d, "", L, pad, man)
        if val:
            g2, r2, p2, pad2, seg2, pair2 = npy_pieces(d, "val_", L, pad, man)
            check("val rows and padding match counts", r2 == counts["val"]["rows"] and p2 == counts["val"]["padding_tokens"])
            got += g2
            pad_ok, seg_ok, paired = pad_ok and pad2, seg_ok and seg2, paired and pair2
        check("npy: tokens and segments files pair up", paired)
        check("npy: padding positions hold the pad id", pad_ok)
        check("npy: segment ordinals 1,2,.. per row, 0 only as padding suffix", seg_ok)
        check("npy: rows and padding match manifest",
              rows == counts["train"]["rows"] and padn == counts["train"]["padding_tokens"] + (0 if not val else 0),
              f"rows {rows} vs {counts['train']['rows']}, pad {padn} vs {counts['train']['padding_tokens']}")
        if man["pack"] == "bestfit":
            exp = [c.astype(np.uint32).tobytes() for t in elig for c in chunks(t, L)]
        else:
            # concat cuts the (train) stream at multiples of L
            exp, pos = [], 0
            for t in elig:
                i = 0
                while i < len(t):
                    k = min(len(t) - i, L - pos % L)
                    exp.append(t[i:i + k].astype(np.uint32).tobytes())
                    i += k
                    pos += k
        cg, ce = collections.Counter(got), collections.Counter(exp)
        if not mix:
            allgot = np.concatenate([np.frombuffer(p, np.uint32) for p in got]) if got else np.zeros(0, np.uint32)
            allexp = np.concatenate(elig) if elig else np.zeros(0, np.uint32)
            check("npy: token histogram of rows == input's",
                  np.array_equal(np.bincount(allgot, minlength=vocab), np.bincount(allexp, minlength=vocab)))
        if not mix and not (val and man["pack"] == "concat"):
            check(f"npy {man['pack']}: document segments == the input documents cut as the packing says "
                  f"({len(got)} pieces)", cg == ce,
                  f"missing {sum((ce - cg).values())}, extra {sum((cg - ce).values())}")
            if man["pack"] == "bestfit":
                short = [t.astype(np.uint32).tobytes() for t in elig if len(t) <= L]
                check("bestfit: no document <= seq_len is cut", all(cg[s] >= 1 for s in short))
                check("bestfit: documents_cut == documents longer than seq_len",
                      counts["train"]["documents_cut"] + (counts["val"]["documents_cut"] if val else 0)
                      == sum(1 for t in elig if len(t) > L))
        elif mix:
            check("mix: every segment is a chunk of an input document", not (set(cg) - set(ce)))
            check("mix: tokens in rows == manifest tokens",
                  sum(len(p) // 4 for p in got) == ntr + nval)
    elif fmt == "megatron":
        prefix = os.path.join(d, "winnow")
        ds = IndexedDataset(prefix)
        exp_dt = np.uint16 if vocab < 65500 else np.int32
        check("megatron: dtype as Megatron chooses it", ds.dtype == exp_dt, f"{ds.dtype} vs {exp_dt}")
        check("megatron: one sequence per document, document count + 1",
              ds.ndoc == ds.nseq + 1 and ds.nseq == counts["train"]["documents"])
        got = [np.asarray(x).astype(np.uint32) for x in ds.documents()]
        if val:
            vs = IndexedDataset(prefix + "_val")
            gv = [np.asarray(x).astype(np.uint32) for x in vs.documents()]
            check("megatron: train + val documents == input documents (as multisets)",
                  collections.Counter(x.tobytes() for x in got + gv) == collections.Counter(t.tobytes() for t in elig))
            # train keeps stream order: it is a subsequence of the input
            it = iter(t.tobytes() for t in elig)
            check("megatron: train documents in input order", all(any(g.tobytes() == e for e in it) for g in got))
        elif not mix:
            check(f"megatron: every document back token for token ({len(got)})",
                  len(got) == len(elig) and all(np.array_equal(a, b) for a, b in zip(got, elig)))
    elif fmt == "llmc":
        def load(split):
            out = []
            for f in sorted(glob.glob(os.path.join(d, f"winnow_{split}_*.bin"))):
                header = np.fromfile(f, dtype=np.int32, count=256)
                assert header[0] in (20240520, 20240801), header[:3]
                dt = np.uint16 if header[0] == 20240520 else np.uint32
                assert header[1] == (1 if header[0] == 20240520 else 7)
                toks = np.fromfile(f, dtype=dt, offset=256 * 4)
                assert len(toks) == header[2], f"{f}: {len(toks)} tokens, header says {header[2]}"
                out.append(toks.astype(np.uint32))
            return np.concatenate(out) if out else np.zeros(0, np.uint32)
        tr = load("train")
        exp_dt = 20240520 if vocab <= 65536 else 20240801
        first = sorted(glob.glob(os.path.join(d, "winnow_train_*.bin")))[0]
        check("llmc: magic as llm.c uses it for this vocabulary",
              np.fromfile(first, dtype=np.int32, count=1)[0] == exp_dt)
        if val:
            va = load("val")
            eos = hdr["eos_id"]

            def split_docs(a):
                ends = np.flatnonzero(a == eos) + 1
                return [x.tobytes() for x in np.split(a, ends) if len(x)]
            check("llmc: train + val documents (split at EOS) == input documents",
                  collections.Counter(split_docs(tr) + split_docs(va)) ==
                  collections.Counter(t.astype(np.uint32).tobytes() for t in elig))
        elif not mix:
            check("llmc: shards concatenated == input stream, token for token",
                  np.array_equal(tr, np.concatenate(elig) if elig else np.zeros(0, np.uint32)))
    if mix:
        srcs = man["sources"]
        check("mix: per-source tokens_out sum to train tokens", sum(s["tokens_out"] for s in srcs.values()) == ntr)
        for k, e in man["mix"].items():
            print(f"# mix {k}: requested share {e['share_requested']:.3f} achieved {e['share_achieved']:.3f} "
                  f"(factor {e['repeat_factor']:.2f})")
    sys.exit(failed)


if __name__ == "__main__":
    main()
