#!/usr/bin/env python3
"""Hostile loopback run (issue 11), as an attacker would set it up, against the release binary.

Part 1, one `run --once --digest-now` under RUST_LOG=trace with:
  pages announcing a canary file and /dev/zero, a cross-host redirect carrying a per-feed
  Authorization header, a 7 MB <script> flood, an ordinary feed, an OPML import carrying a
  file:// feed, absurd config values (check-config on each), and a digest sent through an SMTP
  server that accepts AUTH without TLS.
  Must hold: < 60 s, peak RSS < 300 MB, no canary in database/outbox/logs, the other host never
  sees the header, the password in no form in the logs, no panic, the ordinary story delivered.
Part 2, memory under hostile load: 64 feeds each serving a 16 MB body at once; peak RSS < 1.2 GB.

Usage: python3 benches/hostile.py [path/to/chipwatch]   (default target/release/chipwatch)
Standard library only; prints a table and exits 1 if a bar is missed.
"""
import base64
import http.server
import os
import re
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/chipwatch")
GOOD = ('<?xml version="1.0"?><rss version="2.0"><channel><title>ok</title><item><guid>g1</guid>'
        '<title>US export controls on AI chips tightened</title><link>https://ok.example/1</link>'
        '</item></channel></rss>')
PASSWORD = "pw-Zq81-hunter"
HEADER = "Bearer HDR-77x-SECRET"


def page(href):
    return ('<!DOCTYPE html><html><head><link rel="alternate" type="application/rss+xml" '
            f'href="{href}"></head><body>news</body></html>')


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(routes, log):
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_GET(self):
            log.append((self.path, dict(self.headers)))
            r = routes.get(self.path.split("?")[0])
            if r is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status, headers, body = r
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    s = Server(("127.0.0.1", 0), H)
    threading.Thread(target=s.serve_forever, daemon=True).start()
    return s


def smtp_auth_server(got):
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(5)

    def run():
        while True:
            c, _ = ls.accept()
            f = c.makefile("rwb")
            f.write(b"220 test ESMTP\r\n")
            f.flush()
            data = False
            for line in f:
                t = line.decode("latin-1").rstrip("\r\n")
                if data:
                    if t == ".":
                        data = False
                        f.write(b"250 queued\r\n")
                    else:
                        got.append(t)
                elif t.upper().startswith("EHLO"):
                    f.write(b"250-test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n")
                elif t.upper().startswith("AUTH"):
                    f.write(b"235 ok\r\n")
                elif t.upper().startswith("DATA"):
                    data = True
                    f.write(b"354 go\r\n")
                elif t.upper().startswith("QUIT"):
                    f.write(b"221 bye\r\n")
                    f.flush()
                    break
                else:
                    f.write(b"250 ok\r\n")
                f.flush()
            c.close()

    threading.Thread(target=run, daemon=True).start()
    return ls.getsockname()[1]


def timed(cmd, env, cwd):
    """Runs cmd under /usr/bin/time -v; returns (rc, stdout, stderr, wall s, peak RSS MB)."""
    t = time.time()
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, env=env, cwd=cwd, capture_output=True)
    wall = time.time() - t
    err = p.stderr.decode("utf-8", "replace")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    rss = int(m.group(1)) / 1024 if m else float("nan")
    return p.returncode, p.stdout.decode("utf-8", "replace"), err, wall, rss


def all_state(d):
    out = b""
    for root, _, files in os.walk(d):
        for f in files:
            if f.endswith((".toml", ".canary", ".opml")):
                continue
            with open(os.path.join(root, f), "rb") as fh:
                out += fh.read()
    return out.decode("utf-8", "replace")


def part1(results):
    d = tempfile.mkdtemp(prefix="cw-hostile-")
    canary = os.path.join(d, "secret.canary")
    with open(canary, "w") as f:
        f.write(GOOD.replace("US export controls on AI chips tightened", "CANARY-7731 export controls"))
    log_b = []
    b = serve({"/elsewhere.rss": (200, [("Content-Type", "application/rss+xml")],
                                  GOOD.replace("g1", "g9").encode())}, log_b)
    pb = b.server_address[1]
    flood = ('<?xml version="1.0"?><rss version="2.0"><channel><title>flood</title><item><guid>f</guid>'
             '<title>flood</title><description><![CDATA[' + "<script>x</script>" * 400_000 +
             ']]></description></item></channel></rss>').encode()
    log_a = []
    a = serve({
        "/good.rss": (200, [("Content-Type", "application/rss+xml")], GOOD.encode()),
        "/p-canary.html": (200, [("Content-Type", "text/html")], page("file://" + canary).encode()),
        "/p-zero.html": (200, [("Content-Type", "text/html")], page("file:///dev/zero").encode()),
        "/cross.rss": (302, [("Location", f"http://localhost:{pb}/elsewhere.rss")], b""),
        "/cross2.rss": (302, [("Location", f"http://127.0.0.1:{pb}/elsewhere.rss")], b""),
        "/flood.rss": (200, [("Content-Type", "application/rss+xml")], flood),
    }, log_a)
    pa = a.server_address[1]
    got = []
    sp = smtp_auth_server(got)
    base = f"http://127.0.0.1:{pa}"
    conf = (f'[feeds]\nbackfill = "all"\nopml = "feeds.opml"\n[mail]\nfrom = "cw@example.org"\n'
            f'[smtp]\nhost = "127.0.0.1"\nport = {sp}\ntls = "none"\nusername = "alice"\npassword_env = "CW_PW"\n'
            '[[rule]]\nname = "ec"\nquery = \'"export controls"\'\n[[digest]]\nname = "d"\nto = ["bob@example.org"]\n')
    for p in ["/good.rss", "/p-canary.html", "/p-zero.html", "/flood.rss"]:
        conf += f'[[feed]]\nurl = "{base}{p}"\n'
    for p in ["/cross.rss", "/cross2.rss"]:
        conf += f'[[feed]]\nurl = "{base}{p}"\nheaders = {{ Authorization = "{HEADER}" }}\n'
    with open(os.path.join(d, "c.toml"), "w") as f:
        f.write(conf)
    with open(os.path.join(d, "feeds.opml"), "w") as f:
        f.write('<?xml version="1.0"?><opml version="2.0"><body></body></opml>')
    with open(os.path.join(d, "import.opml"), "w") as f:
        f.write('<?xml version="1.0"?><opml version="2.0"><body>'
                f'<outline text="local" xmlUrl="file://{canary}"/>'
                '<outline text="web" xmlUrl="https://news.example/rss"/></body></opml>')
    env = dict(os.environ, RUST_LOG="trace", CW_PW=PASSWORD)
    env.pop("CHIPWATCH_CONFIG", None)
    cfg = ["--config", os.path.join(d, "c.toml")]
    imp = subprocess.run([BIN] + cfg + ["feeds", "import-opml", os.path.join(d, "import.opml")],
                         env=env, cwd=d, capture_output=True)
    with open(os.path.join(d, "feeds.opml")) as f:
        opml_after = f.read()
    rc, out, err, wall, rss = timed([BIN] + cfg + ["run", "--once", "--json", "--digest-now"], env, d)
    # Absurd values: each must be refused by check-config with its place, without a panic.
    absurd = ['[store]\nkeep_days = 1e20\n', '[feeds]\ninterval = "99999999999999w"\n',
              '[feeds]\nbackfill = "18446744073709551615w 18446744073709551615w"\n',
              '[http]\nconcurrency = -1\n', '[http]\nmax_body = "99999999GiB"\n',
              '[[rule]]\nname = "r"\nquery = "chips"\nweight = 1e300\n']
    panics, accepted = 0, 0
    for i, snippet in enumerate(absurd):
        pth = os.path.join(d, f"absurd{i}.toml")
        with open(pth, "w") as f:
            f.write(snippet)
        p = subprocess.run([BIN, "--config", pth, "check-config"], env=env, cwd=d, capture_output=True)
        e = p.stderr.decode("utf-8", "replace")
        panics += "panicked" in e
        accepted += p.returncode == 0
    state = all_state(d)
    logs = err + imp.stderr.decode("utf-8", "replace")
    b_headers = [h for _, hs in log_b for h in hs.items()]
    pw_forms = [PASSWORD, base64.b64encode(f"\0alice\0{PASSWORD}".encode()).decode(),
                base64.b64encode(PASSWORD.encode()).decode(),
                base64.b64encode(b"alice").decode() + " " + base64.b64encode(PASSWORD.encode()).decode()]
    checks = [
        ("run exits 0", rc == 0, rc),
        ("wall < 60 s", wall < 60, f"{wall:.2f} s"),
        ("peak RSS < 300 MB", rss < 300, f"{rss:.0f} MB"),
        ("no canary in database/outbox", "CANARY" not in state, ""),
        ("no canary in logs", "CANARY" not in logs, ""),
        ("other host never sees the header", not any(k.lower() == "authorization" or "HDR-77x" in v
                                                      for k, v in b_headers),
         f"{len(log_b)} requests at the other host"),
        ("password in no form in the logs", not any(f in logs for f in pw_forms), ""),
        ("no panic", "panicked" not in logs and panics == 0, f"{panics} config panics"),
        ("absurd config values refused", accepted == 0, f"{len(absurd) - accepted}/{len(absurd)}"),
        ("OPML import drops file://", "file:" not in opml_after and "news.example" in opml_after, ""),
        ("ordinary story delivered", any("US export controls on AI chips tightened" in g for g in got),
         f"{len(got)} message lines"),
    ]
    results.extend(checks)
    a.shutdown()
    b.shutdown()


def part2(results):
    d = tempfile.mkdtemp(prefix="cw-mem-")
    item = ('<item><guid>{i}</guid><title>item {i}</title><description>' + "lorem ipsum dolor " * 400 +
            '</description></item>')
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>'
    parts, size, i = [head], len(head), 0
    while size < 16_000_000 - 8000:
        s = item.format(i=i)
        parts.append(s)
        size += len(s)
        i += 1
    parts.append("</channel></rss>")
    body = "".join(parts).encode()
    routes = {f"/big{n}.rss": (200, [("Content-Type", "application/rss+xml")], body) for n in range(64)}
    log = []
    s = serve(routes, log)
    port = s.server_address[1]
    conf = '[feeds]\nbackfill = "all"\n[http]\nconcurrency = 64\nper_host_concurrency = 64\ntimeout = "120s"\n'
    conf += "".join(f'[[feed]]\nurl = "http://127.0.0.1:{port}/big{n}.rss"\n' for n in range(64))
    with open(os.path.join(d, "c.toml"), "w") as f:
        f.write(conf)
    env = dict(os.environ, RUST_LOG="warn")
    rc, out, err, wall, rss = timed([BIN, "--config", os.path.join(d, "c.toml"), "run", "--once", "--json"], env, d)
    results.append(("64 × 16 MB: run exits 0", rc == 0, f"{wall:.1f} s, {len(body) / 1e6:.1f} MB bodies"))
    results.append(("64 × 16 MB: peak RSS < 1.2 GB", rss < 1200, f"{rss:.0f} MB"))
    s.shutdown()


def main():
    results = []
    part1(results)
    part2(results)
    ok = True
    for name, passed, detail in results:
        ok &= bool(passed)
        print(f"{'PASS' if passed else 'FAIL'}  {name:<40} {detail}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
