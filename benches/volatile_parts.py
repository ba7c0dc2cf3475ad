#!/usr/bin/env python3
"""How often the item digest matters (issue 17): for every XML feed document of the corpus
(default ../shared/corpus/feeds), whether the part outside its item elements (the span
poller::unchanged::item_span delimits: first <item>/<entry> to the last </item>/</entry>)
carries something a server rewrites on every request or rebuild: a channel/feed date
(lastBuildDate, pubDate, updated, dc:date, modified), a generator stamp, or a cache-buster
query (?v=, ?cb=, ?ts=, timestamp-like numbers) in a link. Such documents are recognised
unchanged only by the item digest. Prints counts.

    python3 benches/volatile_parts.py [CORPUS_DIR]
"""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "corpus", "feeds")
DATE = re.compile(rb"<(lastBuildDate|pubDate|updated|dc:date|modified|published|sy:updateBase)\b", re.I)
GEN = re.compile(rb"<generator\b", re.I)
BUSTER = re.compile(rb"[?&](v|cb|ts|t|_|cache|rand|nocache)=[0-9a-z]{4,}", re.I)


def item_span(b):
    best = None
    for open_, close in ((b"<item", b"</item>"), (b"<entry", b"</entry>")):
        for m in re.finditer(re.escape(open_) + rb"[>/\s]", b):
            start = m.start()
            break
        else:
            continue
        end = b.rfind(close)
        if end < 0 or end + len(close) <= start:
            continue
        if best is None or start < best[0]:
            best = (start, end + len(close))
    return best


docs = with_items = date = gen = buster = any_volatile = 0
for d, _, files in os.walk(root):
    for f in files:
        try:
            b = open(os.path.join(d, f), "rb").read()
        except OSError:
            continue
        if b.lstrip()[:1] in (b"{", b"[") or b"<" not in b[:2048]:
            continue  # JSON and non-XML: whole-body digest only
        docs += 1
        span = item_span(b)
        if not span:
            continue
        with_items += 1
        outside = b[: span[0]] + b[span[1]:]
        hits = [bool(DATE.search(outside)), bool(GEN.search(outside)), bool(BUSTER.search(outside))]
        date += hits[0]
        gen += hits[1]
        buster += hits[2]
        any_volatile += any(hits)
print(f"{root}: {docs} XML documents, {with_items} with delimited items")
print(f"  outside the items: channel/feed date {date}, generator {gen}, cache-buster link {buster}")
print(f"  any of these (recognised unchanged only by the item digest when they move): "
      f"{any_volatile} of {with_items} ({100 * any_volatile / max(with_items, 1):.0f} %)")
