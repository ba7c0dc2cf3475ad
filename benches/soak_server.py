#!/usr/bin/env python3
"""Soak-test feed server (stdlib only): N RSS 2.0 feeds generated on the fly, forever changing.

  soak_server.py [--port 0] [--port-file FILE] [--feeds 1000] [--items 20] [--change-every 2]

  GET /f/<i>.rss   feed i (0 <= i < N): the newest --items items; every --change-every seconds
                   the feed gains one item and drops its oldest (feeds change staggered, not all
                   at once). ETag and Last-Modified per version; If-None-Match (precedence) and
                   If-Modified-Since answer 304. ~5 % of items mention "export controls".
  GET /stats       JSON counters: requests, 200s, 304s, 404s, distinct feeds fetched.

Binds 127.0.0.1 only. With --port 0 the kernel picks a port; it is printed on stdout as
`PORT <n>` and written to --port-file (if given) once the server is listening.
"""
import argparse
import email.utils
import os
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WORDS = [
    "wafer", "foundry", "lithography", "memory", "packaging", "design", "substrate", "photoresist",
    "etch", "deposition", "inspection", "testing", "assembly", "logistics", "pricing", "earnings",
]


class Feeds:
    def __init__(self, n, items, change_every):
        self.n = n
        self.items = items
        self.every = max(0.001, change_every)
        self.start = time.time()
        self.lock = threading.Lock()
        self.stats = {"requests": 0, "ok": 0, "not_modified": 0, "not_found": 0}
        self.fetched = set()

    def version(self, i, now):
        # Staggered: feed i changes at start + phase_i + k * every.
        phase = (i % 97) / 97.0 * self.every
        return int((now - self.start + phase) // self.every)

    def last_modified(self, i, v):
        return int(self.start + v * self.every - (i % 97) / 97.0 * self.every)

    @staticmethod
    def relevant(i, k):
        h = hashlib.blake2b(f"{i}/{k}".encode(), digest_size=4).digest()
        return int.from_bytes(h, "big") % 20 == 0  # ~5 %

    def body(self, i, v):
        out = [
            '<?xml version="1.0" encoding="utf-8"?>',
            '<rss version="2.0"><channel>',
            f"<title>Soak feed {i}</title><link>https://soak{i}.example/</link>",
            f"<description>generated feed {i}, version {v}</description>",
        ]
        # Items k = v-items+1 .. v, newest first; item k was published when version k began
        # (k < 0 for the initial backlog, published before the server started).
        for k in range(v, v - self.items, -1):
            w1 = WORDS[(i + k) % len(WORDS)]
            w2 = WORDS[(i * 7 + k * 3) % len(WORDS)]
            if self.relevant(i, k):
                title = f"Regulators widen export controls on {w1} {w2} suppliers, notice {i}-{k}"
                desc = f"The export controls notice {i}-{k} covers {w1} and {w2} equipment."
            else:
                title = f"Market note on {w1} and {w2}, report {i}-{k}"
                desc = f"Routine {w1} update number {k} from feed {i}; nothing about trade policy."
            pub = email.utils.formatdate(self.last_modified(i, k), usegmt=True)
            out.append(
                f'<item><guid isPermaLink="false">soak-{i}-{k}</guid><title>{title}</title>'
                f"<link>https://soak{i}.example/story/{k}.html</link>"
                f"<description>{desc}</description><pubDate>{pub}</pubDate></item>"
            )
        out.append("</channel></rss>")
        return "\n".join(out).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "soak-server/1"
    feeds: Feeds = None  # set in main

    def log_message(self, fmt, *args):  # quiet
        pass

    def send_plain(self, status, body, ctype="text/plain; charset=utf-8", head=False):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET(head=True)

    def do_GET(self, head=False):
        f = self.feeds
        path = self.path.split("?", 1)[0]
        with f.lock:
            f.stats["requests"] += 1
        if path == "/stats":
            with f.lock:
                s = dict(f.stats, feeds_fetched=len(f.fetched), uptime=round(time.time() - f.start, 1))
            return self.send_plain(200, json.dumps(s).encode() + b"\n", "application/json", head)
        i = None
        if path.startswith("/f/") and path.endswith(".rss"):
            try:
                i = int(path[3:-4])
            except ValueError:
                i = None
        if i is None or not 0 <= i < f.n:
            with f.lock:
                f.stats["not_found"] += 1
            return self.send_plain(404, b"not found\n", head=head)

        v = f.version(i, time.time())
        etag = f'"{i}-{v}"'
        lm = f.last_modified(i, v)
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        fresh = False
        if inm is not None:
            tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
            fresh = "*" in tags or etag in tags
        elif ims:
            try:
                fresh = lm <= email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError):
                fresh = False
        with f.lock:
            f.fetched.add(i)
            f.stats["not_modified" if fresh else "ok"] += 1
        if fresh:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", email.utils.formatdate(lm, usegmt=True))
            self.end_headers()
            return
        body = f.body(i, v)
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", email.utils.formatdate(lm, usegmt=True))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if not head:
            self.wfile.write(body)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--change-every", type=float, default=2.0, help="seconds between new items per feed")
    a = ap.parse_args()

    Handler.feeds = Feeds(a.feeds, a.items, a.change_every)
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 1024
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    port = srv.server_address[1]
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as fh:
            fh.write(f"{port}\n")
        os.replace(a.port_file + ".tmp", a.port_file)
    print(f"PORT {port}", flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
