#!/usr/bin/python3
"""Write the demo WARC files in tests/data/demo/ (run once; output committed).

Original pages written for winnow's demo: each has navigation, a cookie
banner, a footer and an article, so extraction has boilerplate to remove.
WARC/1.1, one gzip member per record, with warcinfo, request and response
records, one 404 and one image, so ingest has something to skip.
"""
import gzip, io, sys, uuid, hashlib, base64

ARTICLES = [
 ("river-survey", "Volunteers map the river bend",
  ["On Saturday morning forty volunteers walked the eastern bank of the river with notebooks and measuring tapes. They counted fallen trees, marked places where the bank had washed away, and photographed every drain that empties into the water.",
   "The survey is repeated every spring. Comparing this year's notes with last year's shows that the bend near the old mill has moved almost two metres towards the footpath, and the council has been asked to look at the retaining wall before the autumn rains.",
   "Organisers said the most useful work was also the dullest: writing down exact positions, so that next year's group can stand in the same places and see what changed."]),
 ("bread-oven", "A village rebuilds its bread oven",
  ["The communal oven at the top of the square had not been lit for thirty years when a group of neighbours decided to repair it. The dome was cracked, the door had rusted shut, and nobody remembered how long it took to heat.",
   "A retired mason showed them how to mix lime mortar and set new bricks in the old pattern. After three weekends of work the first fire burned for five hours before the floor was hot enough, and the first loaves came out dark at the edges and pale in the middle.",
   "By the third baking day the bakers had learned to rake the embers to the sides and to wait, and the queue for bread reached the church steps."]),
 ("night-trains", "Why night trains are returning",
  ["Sleeper services were cut across much of the continent in the last decade because they cost more to run than day trains and filled fewer seats. Several operators are now bringing them back.",
   "Travellers say the appeal is simple: you board after dinner, sleep, and arrive in the centre of another city in the morning without an airport transfer. Operators say newer carriages with small private cabins make the trip easier to sell.",
   "The difficult part remains the timetable. A night train must leave late enough to be useful and arrive early enough to be useful, and every border on the way has its own rules for drivers and tracks."]),
 ("library-hours", "The library that stays open late",
  ["When the town library extended its opening hours to ten in the evening, the staff expected students. They did not expect the shift workers, the parents who came after putting children to bed, or the chess players.",
   "The building is quiet after eight. Lights in the reading room are dimmed, one desk stays staffed, and the coffee machine in the lobby is switched off at nine so that the last hour is calm.",
   "The librarian in charge says the late hours cost less than expected because the heating runs anyway, and that the loans recorded after six now make up a fifth of the total."]),
 ("seed-bank", "Inside a small seed bank",
  ["Behind the community garden stands a shed with two freezers and a wall of labelled jars. It holds seeds of more than three hundred local vegetable varieties, many of them collected from gardeners who had kept them for decades.",
   "Each jar records who grew the plants, where, and in which year. Every few years a sample of each variety is sown again, because seeds lose their ability to sprout even when they are kept cold and dry.",
   "The volunteers who run it say that the hardest seeds to keep are not the rare ones but the ordinary ones everybody assumes somebody else is saving."]),
 ("clock-tower", "Restoring the clock on the town hall",
  ["The clock on the town hall stopped at twenty past four during a storm last winter. The mechanism, installed in the nineteenth century, had been wound by hand every week until the last keeper retired.",
   "A specialist workshop dismantled the movement, cleaned every wheel, and replaced a worn pinion that had been repaired so often it had lost its shape. The clock now keeps time to within a few seconds a week.",
   "An electric motor winds the weights, but the council decided to keep the old hand crank in place, and a group of residents has offered to take turns checking the hands against the radio signal."]),
]

NAV = '<nav class="site-nav"><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/events">Events</a></li><li><a href="/contact">Contact</a></li></ul></nav>'
COOKIE = '<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience. <a href="/privacy">Privacy policy</a> <button>Accept</button></div>'
FOOTER = '<footer><p>Copyright 2024 The Riverside Courier. All rights reserved.</p><ul><li><a href="/about">About us</a></li><li><a href="/ads">Advertise</a></li><li><a href="/jobs">Jobs</a></li></ul></footer>'
ASIDE = '<aside class="sidebar"><h3>Most read</h3><ul><li><a href="/a">Council meeting moved</a></li><li><a href="/b">Market prices this week</a></li><li><a href="/c">Weather for the weekend</a></li></ul></aside>'

def page(slug, title, paras):
    body = "".join("<p>%s</p>" % p for p in paras)
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>%s - The Riverside Courier</title>'
            '<script>var tracking = {page: "%s"};</script><style>body{font-family:serif}</style></head><body>'
            '%s%s<main><article><h1>%s</h1><p class="byline">By a staff writer</p>%s</article></main>%s%s</body></html>'
            % (title, slug, COOKIE, NAV, title, body, ASIDE, FOOTER))

def digest(b):
    return "sha1:" + base64.b32encode(hashlib.sha1(b).digest()).decode()

def record(out, rtype, uri, block, ctype, date="2024-03-01T12:00:00Z"):
    rid = "<urn:uuid:%s>" % uuid.uuid5(uuid.NAMESPACE_URL, rtype + uri)
    head = ["WARC/1.1", "WARC-Type: " + rtype, "WARC-Record-ID: " + rid, "WARC-Date: " + date]
    if uri:
        head.append("WARC-Target-URI: " + uri)
    head += ["WARC-Block-Digest: " + digest(block), "Content-Type: " + ctype, "Content-Length: %d" % len(block)]
    raw = ("\r\n".join(head) + "\r\n\r\n").encode() + block + b"\r\n\r\n"
    out.write(gzip.compress(raw, mtime=0))

def http(status, ctype, body):
    reason = {200: "OK", 404: "Not Found"}[status]
    return ("HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" % (status, reason, ctype, len(body))).encode() + body

def write(path, items):
    with open(path, "wb") as out:
        record(out, "warcinfo", "", b"software: winnow demo generator\r\nformat: WARC File Format 1.1\r\n", "application/warc-fields")
        for slug, title, paras in items:
            uri = "https://courier.example/news/" + slug
            record(out, "request", uri, ("GET /news/%s HTTP/1.1\r\nHost: courier.example\r\n\r\n" % slug).encode(), "application/http; msgtype=request")
            record(out, "response", uri, http(200, "text/html; charset=utf-8", page(slug, title, paras).encode()), "application/http; msgtype=response")
        record(out, "response", "https://courier.example/missing", http(404, "text/html", b"<html><body>Not found</body></html>"), "application/http; msgtype=response")
        record(out, "response", "https://courier.example/logo.png", http(200, "image/png", b"\x89PNG\r\n\x1a\nfake"), "application/http; msgtype=response")

d = sys.argv[1] if len(sys.argv) > 1 else "tests/data/demo"
write(d + "/courier-00000.warc.gz", ARTICLES[:3])
write(d + "/courier-00001.warc.gz", ARTICLES[3:])
