//! Bad input loses nothing: a failing feed (404, 500, HTML page, malformed XML, empty body,
//! refused connection, oversize body, 410, 429) is recorded and backed off while the others
//! are stored normally, and the run still exits 0.

use crate::common::http::FeedServer;
use crate::util::{Env, n};

const GOOD: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>ok</title><item><guid>1</guid><title>US export controls on AI chips</title><link>https://ok.example/1</link></item></channel></rss>"#;

#[test]
fn failing_feeds_are_recorded_and_do_not_stop_others() {
    let server = FeedServer::start();
    server.set_feed("/good.rss", GOOD, "application/rss+xml");
    server.set_raw("/err500", 500, &[], "oops");
    server.set_feed(
        "/page.html",
        "<!DOCTYPE html><html><head><title>Home</title></head><body>hi</body></html>",
        "text/html",
    );
    server.set_feed(
        "/broken.xml",
        "<rss><channel><title>x</title><item><title>a & b<",
        "application/xml",
    );
    server.set_feed("/empty.xml", "", "application/xml");
    server.set_feed("/huge.xml", vec![b' '; 300_000], "application/xml");
    server.set_raw("/gone", 410, &[], "");
    server.set_raw("/limited", 429, &[("Retry-After", "3600")], "");
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let env = Env::new();
    let mut c = String::from(
        "[feeds]\nbackfill = \"all\"\n[http]\nmax_body = \"100KB\"\ntimeout = \"5s\"\nper_host_concurrency = 8\n",
    );
    for p in [
        "/good.rss",
        "/missing.rss",
        "/err500",
        "/page.html",
        "/broken.xml",
        "/empty.xml",
        "/huge.xml",
        "/gone",
        "/limited",
    ] {
        c.push_str(&format!("[[feed]]\nurl = \"{}\"\n", server.url(p)));
    }
    c.push_str(&format!(
        "[[feed]]\nurl = \"http://127.0.0.1:{closed}/refused.rss\"\n"
    ));
    c.push_str("[[rule]]\nname = \"ec\"\nquery = '\"export controls\"'\n");
    env.write("c.toml", &c);
    let s = env.once("c.toml", &[]);
    assert_eq!(n(&s, "feeds"), 10, "{s}");
    assert_eq!(n(&s, "http_200"), 1, "{s}");
    assert_eq!(n(&s, "errors"), 9, "{s}");
    assert_eq!(n(&s, "entries_new"), 1, "{s}");
    assert_eq!(n(&s, "matches_new"), 1, "{s}");

    let out = env.run("c.toml", &["feeds", "status", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status json");
    let rows = rows.as_array().expect("array");
    let row = |p: &str| {
        rows.iter()
            .find(|r| r["url"].as_str().is_some_and(|u| u.ends_with(p)))
            .unwrap_or_else(|| panic!("no row {p}"))
    };
    assert_eq!(row("/missing.rss")["last_status"], 404);
    assert_eq!(row("/err500")["last_error"], "HTTP 500");
    assert!(
        row("/page.html")["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("HTML"))
    );
    assert!(
        row("/huge.xml")["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("limit"))
    );
    assert!(
        row("/empty.xml")["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("empty"))
    );
    assert!(
        row("/refused.rss")["last_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty())
    );
    assert_eq!(row("/gone")["gone"], true);
    assert!(
        row("/limited")["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("429"))
    );
    // Failing feeds come first, each with its error count.
    assert_eq!(
        rows.last().map(|r| r["error_count"].as_i64()),
        Some(Some(0))
    );
    assert!(
        rows.iter()
            .filter(|r| r["error_count"].as_i64() == Some(1))
            .count()
            >= 8
    );

    // Second pass: the gone feed and the rate-limited one are not requested again.
    let s = env.once("c.toml", &[]);
    assert_eq!(n(&s, "feeds"), 10);
    assert_eq!(
        server.hits("/gone").other,
        1,
        "410 feed must not be polled again"
    );
    assert_eq!(
        server.hits("/limited").other,
        1,
        "429 feed must wait for Retry-After"
    );
    assert_eq!(n(&s, "http_304"), 1, "{s}");
}
