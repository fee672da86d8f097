#!/usr/bin/python3
"""pack_stream.py -- winnow token streams for winnow-pack's tests and bench,
written from the layout in tokenizer/tokstream.h (not with winnow's code).

  pack_stream.py gen [--stride K] [--vocab V] [--spread] [--eos ID] [--pad ID] < docs.jsonl > s.tok
      one document per K-th JSONL record: token ids are the UTF-8 bytes of
      "text" (with --spread, byte b becomes (b * 389 + 17 * position) % V so
      ids cover a vocabulary up to V, e.g. beyond 65536), then EOS.
  pack_stream.py synth --tokens N --vocab V --seed S --lengths FILE > s.tok
      N tokens of random ids; document lengths drawn from the byte lengths
      of a real corpus (one length per line in FILE), divided by 4 (about
      one BPE token per 4 bytes), at least 1.
  pack_stream.py dump s.tok    print documents: source, id, length
"""
import json
import struct
import sys

import numpy as np

MAGIC = b"WNTOK\x00\x01\n"


def header_bytes(vocab, eos=-1, bos=-1, pad=-1, thash="test-tokenizer"):
    h = json.dumps({"vocab_size": vocab, "tokenizer_hash": thash, "eos_id": eos,
                    "bos_id": bos, "pad_id": pad}, separators=(",", ":")).encode()
    return MAGIC + struct.pack("<I", len(h)) + h


def doc_bytes(tokens, source="", docid=""):
    s, i = source.encode(), docid.encode()
    t = np.asarray(tokens, dtype="<u4")
    return struct.pack("<III", len(t), len(s), len(i)) + s + i + t.tobytes()


def trailer_bytes(ndocs, ntokens):
    return struct.pack("<IQQ", 0xFFFFFFFF, ndocs, ntokens)


def read_stream(path):
    """Returns (header dict, list of (source, id, np.uint32 array))."""
    data = open(path, "rb").read()
    assert data[:8] == MAGIC, "bad magic"
    (hl,) = struct.unpack_from("<I", data, 8)
    hdr = json.loads(data[12:12 + hl])
    pos, docs = 12 + hl, []
    while True:
        (n,) = struct.unpack_from("<I", data, pos)
        if n == 0xFFFFFFFF:
            nd, nt = struct.unpack_from("<QQ", data, pos + 4)
            assert nd == len(docs), "trailer document count"
            assert nt == sum(len(d[2]) for d in docs), "trailer token count"
            return hdr, docs
        s, i = struct.unpack_from("<II", data, pos + 4)
        pos += 12
        src = data[pos:pos + s].decode()
        pos += s
        did = data[pos:pos + i].decode()
        pos += i
        toks = np.frombuffer(data, dtype="<u4", count=n, offset=pos)
        pos += 4 * n
        docs.append((src, did, toks))


def gen(args):
    stride, vocab, spread, eos, pad = 1, 257, False, 256, -1
    it = iter(args)
    for a in it:
        if a == "--stride":
            stride = int(next(it))
        elif a == "--vocab":
            vocab = int(next(it))
        elif a == "--spread":
            spread = True
        elif a == "--eos":
            eos = int(next(it))
        elif a == "--pad":
            pad = int(next(it))
    out = sys.stdout.buffer
    out.write(header_bytes(vocab, eos=eos, pad=pad))
    nd = nt = 0
    for k, line in enumerate(sys.stdin.buffer):
        if k % stride:
            continue
        rec = json.loads(line)
        b = np.frombuffer(rec.get("text", "").encode(), dtype=np.uint8).astype(np.uint64)
        if spread:
            b = (b * 389 + 17 * np.arange(len(b), dtype=np.uint64)) % (vocab - 1)
        t = np.append(b.astype(np.uint32), np.uint32(eos if eos >= 0 else 0))
        out.write(doc_bytes(t, rec.get("source", ""), rec.get("id", "")))
        nd += 1
        nt += len(t)
    out.write(trailer_bytes(nd, nt))


def synth(args):
    opts = dict(zip(args[::2], args[1::2]))
    total, vocab = int(opts["--tokens"]), int(opts["--vocab"])
    rng = np.random.default_rng(int(opts.get("--seed", "1")))
    lens = np.loadtxt(opts["--lengths"], dtype=np.int64)
    lens = np.maximum(lens // 4, 1)
    out = sys.stdout.buffer
    out.write(header_bytes(vocab, eos=vocab - 1))
    nd = nt = 0
    sources = ["web/cc", "wiki", "books", "code"]
    while nt < total:
        ls = rng.choice(lens, size=10000)
        toks = rng.integers(0, vocab - 1, size=int(ls.sum()), dtype=np.uint32)
        parts, off = [], 0
        for j, n in enumerate(ls):
            n = int(n)
            t = toks[off:off + n]
            t[-1] = vocab - 1  # EOS
            off += n
            s = sources[j & 3].encode()
            parts.append(struct.pack("<III", n, len(s), 0) + s + t.tobytes())
            nd += 1
            nt += n
            if nt >= total:
                break
        out.write(b"".join(parts))
    out.write(trailer_bytes(nd, nt))


def dump(args):
    hdr, docs = read_stream(args[0])
    print(json.dumps(hdr))
    for s, i, t in docs:
        print(s, i, len(t))


if __name__ == "__main__":
    {"gen": gen, "synth": synth, "dump": dump}[sys.argv[1]](sys.argv[2:])
