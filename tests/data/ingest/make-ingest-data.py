#!/usr/bin/python3
"""Regenerate the small hand-made ingest inputs in this directory (damaged
WARCs, a tar and a zip, a UTF-16 wiki export). Run from anywhere; the files
are committed, so tests do not need Python."""
import gzip, io, os, tarfile, zipfile, zlib

D = os.path.dirname(os.path.abspath(__file__))

def rec(typ, uri, block, rid, extra=b"", cl=None, eol=b"\r\n", ver=b"WARC/1.0"):
    h = [ver, b"WARC-Type: " + typ, b"WARC-Record-ID: <urn:uuid:" + rid + b">",
         b"WARC-Date: 2024-03-01T12:00:00Z"]
    if uri:
        h.append(b"WARC-Target-URI: " + uri)
    if extra:
        h.append(extra)
    h.append(b"Content-Type: application/http; msgtype=response" if typ == b"response" else b"Content-Type: text/plain")
    h.append(b"Content-Length: " + str(len(block) if cl is None else cl).encode())
    return eol.join(h) + eol + eol + block + b"\r\n\r\n"

def http(body, headers=b"Content-Type: text/html; charset=utf-8", status=b"200 OK", eol=b"\r\n"):
    return b"HTTP/1.1 " + status + eol + headers.replace(b"\r\n", b"\n").replace(b"\n", eol) + eol + eol + body

def page(title, text="Some text."):
    return ("<!doctype html><html><head><title>%s</title></head><body><p>%s</p></body></html>" % (title, text)).encode()

info = rec(b"warcinfo", None, b"software: hand-made test data\r\n", b"00000000-0000-0000-0000-000000000000")
A = rec(b"response", b"http://a.example/", http(page("A")), b"aaaaaaaa-0000-0000-0000-000000000001")
B = rec(b"response", b"http://b.example/", http(page("B")), b"bbbbbbbb-0000-0000-0000-000000000002")
C = rec(b"response", b"http://c.example/", http(page("C")), b"cccccccc-0000-0000-0000-000000000003")

def w(name, data):
    with open(os.path.join(D, name), "wb") as f:
        f.write(data)

# garbage between records: A, 300 bytes of junk, B, junk at the end
w("garbage-between.warc", info + A + b"this is not a WARC record\r\n" * 11 + B + b"trailing junk\n")

# chunked: one correct, one whose framing breaks off, one declared chunked but plain
good = b"1a\r\n" + page("Chunk")[:26] + b"\r\n" + ("%x" % (len(page("Chunk")) - 26)).encode() + b"\r\n" + page("Chunk")[26:] + b"\r\n0\r\n\r\n"
broken = b"10\r\n" + page("Broken")[:16] + b"\r\nZZZ\r\n" + page("Broken")[16:]
te = b"Content-Type: text/html\r\nTransfer-Encoding: chunked"
w("chunked.warc", info
  + rec(b"response", b"http://chunk.example/good", http(good, te), b"c0000000-0000-0000-0000-000000000001")
  + rec(b"response", b"http://chunk.example/broken", http(broken, te), b"c0000000-0000-0000-0000-000000000002")
  + rec(b"response", b"http://chunk.example/plain", http(page("Plain"), te), b"c0000000-0000-0000-0000-000000000003"))

# Content-Length too large (then a good record) and too small (then a good record)
blk = http(page("Long"))
w("content-length.warc", info
  + rec(b"response", b"http://cl.example/too-large", blk, b"d0000000-0000-0000-0000-000000000001", cl=len(blk) + 40)
  + A
  + rec(b"response", b"http://cl.example/too-small", blk, b"d0000000-0000-0000-0000-000000000002", cl=len(blk) - 30)
  + B)

# Content-Encoding that lies, real gzip, raw deflate, latin-1, a 404 and a redirect, an image
gz = gzip.compress(page("Gzipped"), mtime=0)
co = zlib.compressobj(9, zlib.DEFLATED, -15); raw = co.compress(page("Deflated")) + co.flush()
latin = "<html><head><title>Caf\xe9</title></head><body><p>Cr\xe8me br\xfbl\xe9e</p></body></html>".encode("latin-1")
w("encodings.warc", info
  + rec(b"response", b"http://enc.example/fake-gzip", http(page("Fake"), b"Content-Type: text/html\r\nContent-Encoding: gzip"), b"e0000000-0000-0000-0000-000000000001")
  + rec(b"response", b"http://enc.example/gzip", http(gz, b"Content-Type: text/html\r\nContent-Encoding: gzip"), b"e0000000-0000-0000-0000-000000000002")
  + rec(b"response", b"http://enc.example/deflate", http(raw, b"Content-Type: text/html\r\nContent-Encoding: deflate"), b"e0000000-0000-0000-0000-000000000003")
  + rec(b"response", b"http://enc.example/latin1", http(latin, b"Content-Type: text/html; charset=ISO-8859-1"), b"e0000000-0000-0000-0000-000000000004")
  + rec(b"response", b"http://enc.example/missing", http(page("Not found"), status=b"404 Not Found"), b"e0000000-0000-0000-0000-000000000005")
  + rec(b"response", b"http://enc.example/moved", http(b"", b"Location: http://enc.example/\r\nContent-Type: text/html", status=b"301 Moved"), b"e0000000-0000-0000-0000-000000000006")
  + rec(b"response", b"http://enc.example/logo.png", http(b"\x89PNG\r\n\x1a\n" + bytes(range(64)), b"Content-Type: image/png"), b"e0000000-0000-0000-0000-000000000007")
  + rec(b"response", b"http://enc.example/empty", http(b"  \n", b"Content-Type: text/html"), b"e0000000-0000-0000-0000-000000000008"))

# bare-LF headers everywhere, old WARC/0.18 as in ClueWeb09, no trailer CRLFs
lf = rec(b"response", b"http://lf.example/", http(page("LF"), b"Content-Type: text/html", eol=b"\n"),
         b"f0000000-0000-0000-0000-000000000001", eol=b"\n", ver=b"WARC/0.18")
w("bare-lf-0.18.warc", lf.replace(b"\r\n\r\n", b"\n\n") + lf.replace(b"f0000000", b"f1111111"))

# one gzip member per record, the middle member corrupted
members = [gzip.compress(x, mtime=0) for x in (info, A, B, C)]
bad = bytearray(members[2]); bad[len(bad) // 2] ^= 0xff; bad[len(bad) // 2 + 1] ^= 0xff
members[2] = bytes(bad)
w("corrupt-member.warc.gz", b"".join(members))
# the same, cut inside the last member
w("truncated.warc.gz", b"".join(gzip.compress(x, mtime=0) for x in (info, A, B))[:-40])

# a tar and a zip of a small site
files = {"site/index.html": page("Index"), "site/notes.txt": b"Plain notes.\n", "site/logo.png": b"\x89PNG\r\n\x1a\n",
         "site/empty.html": b"", "site/page": page("No extension")}
bio = io.BytesIO()
with tarfile.open(fileobj=bio, mode="w", format=tarfile.USTAR_FORMAT) as t:
    d = tarfile.TarInfo("site"); d.type = tarfile.DIRTYPE; d.mtime = 0; t.addfile(d)
    for n, data in files.items():
        i = tarfile.TarInfo(n); i.size = len(data); i.mtime = 0; t.addfile(i, io.BytesIO(data))
w("site.tar", bio.getvalue())
bio = io.BytesIO()
with zipfile.ZipFile(bio, "w", zipfile.ZIP_DEFLATED) as z:
    for n, data in files.items():
        z.writestr(zipfile.ZipInfo(n, (1980, 1, 1, 0, 0, 0)), data)
w("site.zip", bio.getvalue())

# a MediaWiki export in UTF-16 (with BOM): one article, one redirect, one talk page
xml = """<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10">
  <siteinfo><sitename>Testwiki</sitename><dbname>testwiki</dbname><base>https://test.example.org/wiki/Main_Page</base></siteinfo>
  <page><title>Crème brûlée</title><ns>0</ns><id>7</id>
    <revision><id>70</id><timestamp>2020-01-02T03:04:05Z</timestamp><text xml:space="preserve">'''Crème brûlée''' is a [[dessert]].</text></revision></page>
  <page><title>Creme brulee</title><ns>0</ns><id>8</id><redirect title="Crème brûlée" />
    <revision><id>80</id><timestamp>2020-01-02T03:04:05Z</timestamp><text xml:space="preserve">#REDIRECT [[Crème brûlée]]</text></revision></page>
  <page><title>Talk:Crème brûlée</title><ns>1</ns><id>9</id>
    <revision><id>90</id><timestamp>2020-01-02T03:04:05Z</timestamp><text xml:space="preserve">Tasty.</text></revision></page>
</mediawiki>
"""
w("wiki-utf16.xml", xml.replace("<mediawiki", '<?xml version="1.0" encoding="UTF-16"?>\n<mediawiki', 1).encode("utf-16"))
w("wiki-cut.xml", xml.encode()[: xml.encode().index(b"<page><title>Talk")] + b"<page><title>Cut")

# JSONL (Dolma) with one broken line
w("docs.jsonl", b'{"id":"1","text":"one","source":"t"}\n\n{"id":"2","text":"two", "metadata":{"x":1}}\n{"id":3,"text":\n{"id":"4","text":"four"}')

# ARC v1 (the Internet Archive's format before WARC), plain and one gzip member per record
def arc(url, mime, date, content):
    return ("%s 192.0.2.1 %s %s %d\n" % (url, date, mime, len(content))).encode() + content + b"\n"
desc = b"1 0 InternetArchive\nURL IP-address Archive-date Content-type Archive-length\n\n"
arcs = [arc("filedesc://example.arc", "text/plain", "20060101000000", desc),
        arc("http://arc.example/", "text/html", "20060101000001", http(page("ARC page"), b"Content-Type: text/html")),
        arc("http://arc.example/logo.gif", "image/gif", "20060101000002", http(b"GIF89a....", b"Content-Type: image/gif")),
        arc("dns:arc.example", "text/dns", "20060101000003", b"20060101000003\narc.example. 300 IN A 192.0.2.1\n")]
w("example.arc", b"".join(arcs))
w("example.arc.gz", b"".join(gzip.compress(x, mtime=0) for x in arcs))
