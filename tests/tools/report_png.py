#!/usr/bin/python3
"""Pure-Python PNG reader for the run-report screenshot checks (stdlib only:
zlib for IDAT, the five PNG row filters by hand).

  report_png.py stats FILE            -> JSON: width, height, non_white fraction,
                                         distinct colours, coloured (saturated) fraction
  report_png.py crop FILE Y0 Y1 OUT   -> write rows [Y0, Y1) as a new PNG (to look at
                                         parts of a tall screenshot)
Only 8-bit, non-interlaced greyscale/RGB/RGBA images (what Chromium writes).
"""
import json
import struct
import sys
import zlib


def read_png(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, w = 8, [], None
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if typ == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or interlace:
                raise ValueError("only 8-bit non-interlaced PNGs")
            bpp = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
        elif typ == b"IDAT":
            idat.append(body)
        elif typ == b"IEND":
            break
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    rows, prev, p = [], bytearray(stride), 0
    for _ in range(h):
        ft = raw[p]
        line = bytearray(raw[p + 1:p + 1 + stride])
        p += 1 + stride
        if ft == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif ft == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 255
        elif ft == 3:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((a + prev[i]) >> 1)) & 255
        elif ft == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def pixels(w, bpp, row):
    for x in range(w):
        px = row[x * bpp:(x + 1) * bpp]
        if bpp in (1, 2):
            yield (px[0], px[0], px[0])
        else:
            yield (px[0], px[1], px[2])


def stats(path):
    w, h, bpp, rows = read_png(path)
    colours, non_white, coloured, total = set(), 0, 0, 0
    for y in range(0, h, 2):  # every other row and column: plenty for a verdict
        for x, (r, g, b) in enumerate(pixels(w, bpp, rows[y])):
            if x % 2:
                continue
            total += 1
            colours.add((r, g, b))
            if r < 235 or g < 235 or b < 235:
                non_white += 1
            if max(r, g, b) - min(r, g, b) > 60:
                coloured += 1
    return {"width": w, "height": h, "non_white": non_white / total, "colours": len(colours),
            "coloured": coloured / total}


def write_png(path, w, bpp, rows):
    ctype = {1: 0, 2: 4, 3: 2, 4: 6}[bpp]
    raw = b"".join(b"\x00" + r for r in rows)

    def chunk(t, b):
        return struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b) & 0xffffffff)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, len(rows), 8, ctype, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


if __name__ == "__main__":
    if sys.argv[1] == "stats":
        print(json.dumps(stats(sys.argv[2])))
    elif sys.argv[1] == "crop":
        w, h, bpp, rows = read_png(sys.argv[2])
        write_png(sys.argv[5], w, bpp, rows[int(sys.argv[3]):int(sys.argv[4])])
    else:
        sys.exit("usage: report_png.py stats FILE | crop FILE Y0 Y1 OUT")
