//! A server that ignores conditional GET (always 200, no validators): the document parsed
//! last time is recognised by its digest and skipped (counted as `unchanged`, schedule and
//! health still recorded); a document whose items changed is parsed; one whose channel dates
//! alone changed is recognised too; an upgrade that changes the digests' epoch only costs one
//! parse (covered by the unit tests).

use crate::common::http::FeedServer;
use crate::util::{Env, n, status_row};

fn doc(build: &str, items: &[(&str, &str)]) -> String {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>no validators</title><lastBuildDate>{build}</lastBuildDate>"
    );
    for (guid, title) in items {
        s.push_str(&format!(
            "<item><guid>{guid}</guid><title>{title}</title><link>https://nv.example/{guid}</link></item>"
        ));
    }
    s.push_str("</channel></rss>");
    s
}

#[test]
fn unchanged_bodies_are_not_parsed_again() {
    let server = FeedServer::start();
    let items = [("1", "US export controls on AI chips"), ("2", "Weather")];
    let body = doc("Mon, 30 Nov 2026 08:00:00 GMT", &items);
    let serve = |b: &str| {
        server.set_raw(
            "/nv.rss",
            200,
            &[("Content-Type", "application/rss+xml")],
            b.to_string(),
        )
    };
    serve(&body);
    let env = Env::new();
    env.write(
        "c.toml",
        &format!(
            "[feeds]\nbackfill = \"all\"\n[[feed]]\nurl = \"{}\"\n[[rule]]\nname = \"ec\"\nquery = '\"export controls\"'\n",
            server.url("/nv.rss")
        ),
    );
    let first = env.once("c.toml", &[]);
    assert_eq!(
        (
            n(&first, "http_200"),
            n(&first, "unchanged"),
            n(&first, "entries_new")
        ),
        (1, 0, 2),
        "{first}"
    );

    // The same bytes again: a 200, recognised, nothing parsed or looked up.
    let again = env.once("c.toml", &[]);
    assert_eq!(
        (
            n(&again, "http_200"),
            n(&again, "unchanged"),
            n(&again, "entries_new"),
            n(&again, "errors")
        ),
        (1, 1, 0, 0),
        "{again}"
    );
    let rows = env.feed_status("c.toml");
    let row = status_row(&rows, "/nv.rss");
    assert_eq!(row["last_status"], 200, "{row}");
    assert_eq!(row["error_count"], 0, "{row}");
    assert_eq!(row["entries_seen"], 2, "{row}");

    // Only the channel's date moved: still the same items.
    serve(&doc("Mon, 30 Nov 2026 09:00:00 GMT", &items));
    let rebuilt = env.once("c.toml", &[]);
    assert_eq!(
        (n(&rebuilt, "unchanged"), n(&rebuilt, "entries_new")),
        (1, 0),
        "{rebuilt}"
    );

    // A new item: parsed, stored and matched.
    let more = [
        ("3", "New export controls on lithography tools"),
        items[0],
        items[1],
    ];
    serve(&doc("Mon, 30 Nov 2026 10:00:00 GMT", &more));
    let changed = env.once("c.toml", &[]);
    assert_eq!(
        (
            n(&changed, "unchanged"),
            n(&changed, "entries_new"),
            n(&changed, "matches_new")
        ),
        (0, 1, 1),
        "{changed}"
    );
    // …and that document is the one recognised next time.
    serve(&doc("Mon, 30 Nov 2026 10:00:00 GMT", &more));
    let same = env.once("c.toml", &[]);
    assert_eq!(
        (n(&same, "unchanged"), n(&same, "entries_new")),
        (1, 0),
        "{same}"
    );
}
