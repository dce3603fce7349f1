#!/usr/bin/python3
"""A real HTTP server on loopback for the install tests: serves ROOT with Range support, and misbehaves on request.

Usage: http_server.py ROOT LOG      (prints the port on the first line of stdout, then serves until killed)

The URL path selects the behaviour; the rest of the path is a file under ROOT:
  /ok/FILE                  the file (Range requests answered with 206)
  /corrupt/OFFSET/FILE      the file with the byte at OFFSET flipped
  /truncate/N/FILE          only the first N bytes (Content-Length N)
  /extra/N/FILE             the file followed by N more bytes (a wrong size)
  /status/CODE/FILE         the status CODE with a short text body (404, 403, 503, ...)
  /html/FILE                200 with an HTML page (a captive portal)
  /htmltype/FILE            the file itself, labelled Content-Type: text/html (a sloppy server)
  /redirect/FILE            302 to /ok/FILE
  /redirectloop/FILE        302 to itself, for ever
  /redirectfile/FILE        302 to file:///ROOT/FILE (a redirect to a local file)
  /stall/N/FILE             the full Content-Length, N bytes, then nothing (the connection stays open)
  /drop/N/FILE              the full Content-Length, N bytes, then the connection is closed
  /dropfirst/N/FILE         like drop for the first request of this URL, like ok afterwards
  /flaky/K/CODE/FILE        the status CODE for the first K requests of this URL, like ok afterwards
  /norange/FILE             the whole file with 200, whatever the Range header says
  /nolength/N/FILE          the first N bytes without a Content-Length, then the connection is closed

Every request appends one JSON line to LOG before the body is sent: method, path, range, status and the number of
body bytes the server means to send ("length"), so a test can assert exactly what was fetched.
"""

import http.server
import json
import os
import sys
import threading
import time

ROOT = os.path.realpath(sys.argv[1])
LOG = sys.argv[2]
_lock = threading.Lock()
_seen = {}  # URL path -> number of requests so far


def count_request(path):
    with _lock:
        _seen[path] = _seen.get(path, 0) + 1
        return _seen[path]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: the JSON log is the record
        pass

    def record(self, status, length):
        entry = {"method": self.command, "path": self.path, "range": self.headers.get("Range"),
                 "status": status, "length": length}
        with _lock, open(LOG, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def simple(self, status, body, content_type="text/plain"):
        data = body.encode()
        self.record(status, len(data))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        parts = self.path.split("?")[0].strip("/").split("/")
        mode, args = parts[0], parts[1:]
        nargs = {"corrupt": 1, "truncate": 1, "extra": 1, "status": 1, "stall": 1, "drop": 1, "dropfirst": 1,
                 "flaky": 2, "nolength": 1}.get(mode, 0)
        params, rel = args[:nargs], "/".join(args[nargs:])
        path = os.path.realpath(os.path.join(ROOT, rel))
        if not rel or not path.startswith(ROOT + os.sep) or not os.path.isfile(path):
            return self.simple(404, "not found\n")
        if mode == "status":
            return self.simple(int(params[0]), "status %s\n" % params[0])
        if mode == "html":
            return self.simple(200, "<!DOCTYPE html>\n<html><body>Please sign in</body></html>\n", "text/html")
        if mode in ("redirect", "redirectloop", "redirectfile"):
            target = {"redirect": "/ok/" + rel, "redirectloop": self.path,
                      "redirectfile": "file://" + path}[mode]
            self.record(302, 0)
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if mode == "flaky" and count_request(self.path) <= int(params[0]):
            return self.simple(int(params[1]), "try later\n")
        with open(path, "rb") as f:
            data = f.read() if mode != "ok" and mode != "norange" else None
            size = os.path.getsize(path)
            if mode == "corrupt":
                at = int(params[0])
                data = data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]
            elif mode == "truncate":
                data = data[:int(params[0])]
                size = len(data)
            elif mode == "extra":
                data = data + b"\0" * int(params[0])
                size = len(data)
            self.serve(f, data, size, mode, params)

    def serve(self, f, data, size, mode, params):
        start = 0
        rng = self.headers.get("Range")
        if rng and mode != "norange" and mode != "nolength":
            try:
                start = int(rng.split("=")[1].split("-")[0])
            except (IndexError, ValueError):
                start = 0
            if start >= size:
                return self.simple(416, "range not satisfiable\n")
        status = 206 if start else 200
        length = size - start
        cut = None  # bytes actually sent before a stall or a dropped connection
        if mode == "stall" or mode == "drop" or (mode == "dropfirst" and count_request(self.path) == 1):
            cut = int(params[0])
        if mode == "nolength":
            cut = int(params[0])
        self.record(status, length if cut is None else min(cut, length))
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8" if mode == "htmltype" else "application/octet-stream")
        if mode == "nolength":
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(length))
        if start:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, size - 1, size))
        self.end_headers()
        self.wfile.flush()
        count = length if cut is None else min(cut, length)
        if data is None:
            self.request.sendfile(f, start, count)
        else:
            self.wfile.write(data[start:start + count])
            self.wfile.flush()
        if mode == "stall":
            time.sleep(3600)  # the client gives up first; the test kills the server
        if cut is not None:
            self.close_connection = True


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that gives up (a stall, a refused size) resets the connection: expected here, not news.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def main():
    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
