#!/usr/bin/env python3
"""Checks the digests a benchmark pass delivered against the workload's ground truth.

    benches/check_links.py MAILDIR TOPIC_LINKS_FILE

MAILDIR: the SMTP sink's Maildir (`$BENCH/run/mail`, messages in new/); TOPIC_LINKS_FILE:
`$BENCH/data/nN/topic_links_<round>.txt` (canonical links of every export-control item served).
Reads every message's text/plain part, takes the story and "also reported by" links, and
reports: topic stories covered (canonical link = the link without utm_* parameters), links that
are not topic items (noise), entry links shown more than once (duplicates), and the number of
stories shown (near-duplicate clustering shows several links under one story). Exit 1 when a
topic link is missing, a non-topic link appears, or an entry link appears twice.
"""
import collections
import email
import email.policy
import pathlib
import re
import sys
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


def canonical(url):
    p = urlsplit(url)
    q = [(k, v) for k, v in parse_qsl(p.query, keep_blank_values=True) if not k.startswith("utm_")]
    return urlunsplit((p.scheme, p.netloc.lower(), p.path, urlencode(q), ""))


def main():
    maildir, topics_file = pathlib.Path(sys.argv[1]), sys.argv[2]
    topics = {l.strip() for l in open(topics_file, encoding="utf-8") if l.strip()}
    seen = collections.Counter()
    stories = 0
    messages = 0
    for f in sorted((maildir / "new").glob("*")) + sorted((maildir / "cur").glob("*")):
        msg = email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
        part = msg.get_body(preferencelist=("plain",))
        if part is None:
            continue
        messages += 1
        text = part.get_content()
        # Story lines: "* Title" followed by metadata and its link on its own line; also-reported
        # entries: "    - Outlet <link>".
        for line in text.splitlines():
            s = line.strip()
            if line.startswith("* "):
                stories += 1
            m = re.fullmatch(r"(https?://\S+)", s) or re.fullmatch(r"- .* <(https?://\S+)>", s)
            if m:
                seen[m.group(1)] += 1
    covered = {canonical(u) for u in seen}
    missing = topics - covered
    noise = covered - topics
    dup = {u: c for u, c in seen.items() if c > 1}
    print(f"messages {messages}, stories shown {stories}, entry links {len(seen)}, "
          f"topic links {len(topics)}, covered {len(topics & covered)}, missing {len(missing)}, "
          f"non-topic {len(noise)}, links shown twice {len(dup)}")
    for label, items in (("missing", sorted(missing)), ("non-topic", sorted(noise)), ("twice", sorted(dup))):
        for u in items[:5]:
            print(f"  {label}: {u}")
    sys.exit(1 if missing or noise or dup else 0)


if __name__ == "__main__":
    main()
