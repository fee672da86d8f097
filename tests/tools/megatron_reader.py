#!/usr/bin/python3
"""megatron_reader.py -- a reader for Megatron-LM indexed datasets
(PREFIX.idx + PREFIX.bin), written for winnow's tests from the layout that
megatron/core/datasets/indexed_dataset.py reads and writes:

  .idx: b"MMIDIDX\\x00\\x00"  9-byte magic
        <Q  version (1)
        <B  dtype code (1 uint8, 2 int8, 3 int16, 4 int32, 5 int64,
            6 float64, 7 float32, 8 uint16)
        <Q  sequence count S
        <Q  document count D (document_indices entries, = documents + 1)
        S x int32 sequence lengths
        S x int64 sequence pointers (byte offsets into .bin)
        D x int64 document indices (sequence index where each document
            starts; last = S)
  .bin: the tokens of every sequence back to back, dtype as coded.

It does not import winnow code; it is the independent reader of the tests.
  megatron_reader.py PREFIX     prints sequences / documents / tokens
"""
import struct
import sys

import numpy as np

HEADER = b"MMIDIDX\x00\x00"
DTYPES = {1: np.uint8, 2: np.int8, 3: np.int16, 4: np.int32, 5: np.int64,
          6: np.float64, 7: np.float32, 8: np.uint16}


class IndexedDataset:
    def __init__(self, prefix):
        with open(prefix + ".idx", "rb") as f:
            assert f.read(9) == HEADER, "not an MMIDIDX index"
            (version,) = struct.unpack("<Q", f.read(8))
            assert version == 1, f"index version {version}"
            (code,) = struct.unpack("<B", f.read(1))
            self.dtype = DTYPES[code]
            (self.nseq,) = struct.unpack("<Q", f.read(8))
            (self.ndoc,) = struct.unpack("<Q", f.read(8))
            off = f.tell()
        idx = np.memmap(prefix + ".idx", mode="r", order="C")
        self.lengths = np.frombuffer(idx, dtype=np.int32, count=self.nseq, offset=off)
        off += self.lengths.nbytes
        self.pointers = np.frombuffer(idx, dtype=np.int64, count=self.nseq, offset=off)
        off += self.pointers.nbytes
        self.doc_idx = np.frombuffer(idx, dtype=np.int64, count=self.ndoc, offset=off)
        off += self.doc_idx.nbytes
        assert off == len(idx), f"index has {len(idx) - off} trailing bytes"
        # numpy cannot map an empty file (a dataset of 0 documents)
        import os
        empty = os.path.getsize(prefix + ".bin") == 0
        self.bin = np.zeros(0, np.uint8) if empty else np.memmap(prefix + ".bin", mode="r", order="C")

    def __len__(self):
        return self.nseq

    def __getitem__(self, i):
        n = int(self.lengths[i])
        return np.frombuffer(self.bin, dtype=self.dtype, count=n, offset=int(self.pointers[i]))

    def documents(self):
        """Each document as the concatenation of its sequences."""
        for d in range(self.ndoc - 1):
            a, b = int(self.doc_idx[d]), int(self.doc_idx[d + 1])
            yield np.concatenate([self[i] for i in range(a, b)]) if b > a else np.zeros(0, self.dtype)


if __name__ == "__main__":
    ds = IndexedDataset(sys.argv[1])
    print(f"sequences {ds.nseq} documents {ds.ndoc - 1} tokens {int(ds.lengths.sum())} dtype {ds.dtype.__name__}")
