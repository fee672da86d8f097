#!/usr/bin/python3
"""run_flaky_http.py -- a test HTTP server for winnow-run's URL inputs.

    run_flaky_http.py ROOT PORTFILE

Serves files under ROOT on 127.0.0.1 (a free port, written to PORTFILE).
/flaky/NAME: the first request without a Range header gets the headers of
the whole file but only half of the body, then the connection is dropped;
Range requests ("bytes=N-") get 206 with the rest. /ok/NAME: plain 200.
Anything else, or a missing file: 404. Each request is logged to stderr.
"""
import http.server
import os
import sys

root, portfile = sys.argv[1], sys.argv[2]
dropped = set()


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        kind, _, name = self.path.lstrip("/").partition("/")
        path = os.path.join(root, os.path.basename(name))
        if kind not in ("flaky", "ok") or not os.path.isfile(path):
            self.send_error(404)
            return
        data = open(path, "rb").read()
        rng = self.headers.get("Range")
        start = 0
        if rng and rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
            if start >= len(data):
                self.send_error(416)
                return
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if kind == "flaky" and not rng and self.path not in dropped:
            dropped.add(self.path)
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(body)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
