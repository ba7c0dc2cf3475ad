//! Retention: `[store] keep_days` prunes entries nobody lists any more while their stories and
//! deliveries stay as tombstones, so a pruned story that comes back is not reported again.

use crate::common::http::FeedServer;
use crate::util::{Env, n};

fn feed(items: &[(&str, &str)]) -> String {
    let mut s = String::from("<rss version=\"2.0\"><channel><title>r</title>");
    for (guid, title) in items {
        s.push_str(&format!("<item><guid>{guid}</guid><title>{title}</title><link>https://r.example/{guid}</link></item>"));
    }
    s + "</channel></rss>"
}

#[test]
fn pruned_entries_never_come_back_as_new() {
    let server = FeedServer::start();
    server.set_feed(
        "/r.rss",
        feed(&[("1", "Old export controls story"), ("2", "Other news")]),
        "application/rss+xml",
    );
    let env = Env::new();
    env.write(
        "c.toml",
        &format!(
            "[store]\nkeep_days = 1\n[feeds]\nbackfill = \"all\"\n[[feed]]\nurl = \"{}\"\n[[rule]]\nname = \"ec\"\nquery = '\"export controls\"'\n[mail]\ntransport = \"file\"\n",
            server.url("/r.rss")
        ),
    );
    let s = env.once("c.toml", &["--digest-now"]);
    assert_eq!((n(&s, "entries_new"), n(&s, "digests_sent")), (2, 1), "{s}");
    // The feed drops item 1; three days pass (simulated by ageing the rows; item 1 was last
    // listed by the first poll, a little before the second).
    server.set_feed(
        "/r.rss",
        feed(&[("2", "Other news"), ("3", "Fresh news")]),
        "application/rss+xml",
    );
    let s = env.once("c.toml", &["--digest-now"]);
    assert_eq!(n(&s, "entries_new"), 1, "{s}");
    let db = env.path().join("chipwatch-state/chipwatch.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("UPDATE entries SET seen_at = seen_at - 3*86400, last_seen_at = last_seen_at - 3*86400; UPDATE entries SET last_seen_at = last_seen_at - 600 WHERE key = '1'; UPDATE digests SET created_at = created_at - 3*86400;").unwrap();
    drop(conn);
    // The feed answers 304 now: items 2 and 3 (its latest document) stay, item 1 is pruned.
    let s = env.once("c.toml", &["--digest-now"]);
    assert_eq!(n(&s, "entries_new"), 0, "{s}");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let keys: Vec<String> = conn
        .prepare("SELECT key FROM entries ORDER BY key")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(
        keys,
        vec!["2", "3"],
        "item 1 (unlisted, old) is pruned; listed items stay"
    );
    let blob: i64 = conn
        .query_row(
            "SELECT length(message) FROM digests ORDER BY id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(blob, 0, "old sent digest bodies are dropped");
    let index: (i64, i64) = conn
        .query_row(
            "SELECT (SELECT COUNT(*) FROM entry_sigs), (SELECT COUNT(*) FROM story_bands)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        index,
        (0, 0),
        "the pruned match's clustering index rows go too"
    );
    drop(conn);
    // The pruned story comes back: stored again (as an entry), but not reported again.
    server.set_feed(
        "/r.rss",
        feed(&[
            ("1", "Old export controls story"),
            ("2", "Other news"),
            ("3", "Fresh news"),
        ]),
        "application/rss+xml",
    );
    let s = env.once("c.toml", &["--digest-now"]);
    assert_eq!(n(&s, "entries_new"), 1, "{s}");
    assert_eq!(
        n(&s, "digests_sent"),
        0,
        "a delivered story is never sent again: {s}"
    );
    assert_eq!(env.emls("chipwatch-state/outbox").len(), 1);
}
