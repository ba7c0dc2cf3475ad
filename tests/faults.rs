//! Bad input loses nothing: a failing feed (404, 500, HTML page, malformed XML, empty body,
//! refused connection, oversize body, 410, 429) is recorded and backed off while the others
//! are stored normally, and the run still exits 0.

use crate::common::http::FeedServer;
use crate::util::{Env, n, status_row};

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
    ] {
        c.push_str(&format!("[[feed]]\nurl = \"{}\"\n", server.url(p)));
    }
    // Retry-After holds a whole host, so the rate-limited feed lives on another host name.
    c.push_str(&format!(
        "[[feed]]\nurl = \"http://localhost:{}/limited\"\n",
        server.addr().port()
    ));
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

    let rows = env.feed_status("c.toml");
    let row = |p: &str| status_row(&rows, p);
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

#[test]
fn slow_truncated_endless_bombs_and_redirects() {
    use crate::common::http::Behaviour;
    let server = FeedServer::start();
    for p in ["/trickle", "/cut", "/endless", "/bomb"] {
        server.set_feed(p, GOOD, "application/rss+xml");
    }
    server.set_behaviour("/trickle", Behaviour::Trickle { bytes_per_sec: 20 });
    server.set_behaviour("/cut", Behaviour::CloseMidBody);
    server.set_behaviour("/endless", Behaviour::Endless);
    server.set_behaviour(
        "/bomb",
        Behaviour::GzipBomb {
            decoded_bytes: 50_000_000,
        },
    );
    server.set_behaviour(
        "/loop-a",
        Behaviour::RedirectTo {
            status: 302,
            location: "/loop-b".into(),
        },
    );
    server.set_behaviour(
        "/loop-b",
        Behaviour::RedirectTo {
            status: 302,
            location: "/loop-a".into(),
        },
    );
    server.set_feed(
        "/new-home.rss",
        GOOD.replace("https://ok.example/1", "https://ok.example/moved"),
        "application/rss+xml",
    );
    server.set_behaviour(
        "/old-home.rss",
        Behaviour::RedirectTo {
            status: 301,
            location: "/new-home.rss".into(),
        },
    );
    server.set_feed(
        "/temp-target.rss",
        GOOD.replace("https://ok.example/1", "https://ok.example/temp"),
        "application/rss+xml",
    );
    server.set_behaviour(
        "/temp.rss",
        Behaviour::RedirectTo {
            status: 302,
            location: "/temp-target.rss".into(),
        },
    );
    let env = Env::new();
    let mut c = String::from(
        "[feeds]\nbackfill = \"all\"\n[http]\nmax_body = \"1MiB\"\ntimeout = \"2s\"\nper_host_concurrency = 8\n",
    );
    for p in [
        "/trickle",
        "/cut",
        "/endless",
        "/bomb",
        "/loop-a",
        "/old-home.rss",
        "/temp.rss",
    ] {
        c.push_str(&format!("[[feed]]\nurl = \"{}\"\n", server.url(p)));
    }
    env.write("c.toml", &c);
    let started = std::time::Instant::now();
    let s = env.once("c.toml", &[]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "limits must stop slow and endless bodies"
    );
    assert_eq!((n(&s, "http_200"), n(&s, "errors")), (2, 5), "{s}");
    let rows = env.feed_status("c.toml");
    let row = |p: &str| status_row(&rows, p);
    assert!(
        row("/trickle")["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("timed out")),
        "{}",
        row("/trickle")
    );
    assert!(
        row("/endless")["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("limit")),
        "{}",
        row("/endless")
    );
    assert!(
        row("/bomb")["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("limit")),
        "{}",
        row("/bomb")
    );
    assert!(
        row("/loop-a")["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("redirect loop")),
        "{}",
        row("/loop-a")
    );
    assert!(row("/cut")["error_count"].as_i64() == Some(1));
    // 301 is remembered (and polled at the new address next time); 302 is not.
    assert!(
        row("/old-home.rss")["redirect_url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/new-home.rss"))
    );
    assert!(row("/temp.rss")["redirect_url"].is_null());
    env.once("c.toml", &[]);
    assert_eq!(
        server.hits("/old-home.rss").other,
        1,
        "after a 301 the old address is not requested again"
    );
    assert_eq!(server.hits("/new-home.rss").not_modified, 1);
    assert_eq!(
        server.hits("/temp.rss").other,
        2,
        "a 302 is followed each time from the configured URL"
    );
}

#[test]
fn html_page_announcing_a_feed_is_followed_and_retry_after_holds_the_host() {
    let server = FeedServer::start();
    server.set_feed(
        "/news/",
        r#"<!DOCTYPE html><html><head><title>News</title><link rel="alternate" type="application/rss+xml" href="/news/feed.xml"></head><body>hi</body></html>"#,
        "text/html",
    );
    server.set_feed("/news/feed.xml", GOOD, "application/rss+xml");
    server.set_raw("/busy-a", 429, &[("Retry-After", "600")], "");
    server.set_feed(
        "/busy-b",
        GOOD.replace("ok.example/1", "ok.example/b"),
        "application/rss+xml",
    );
    let env = Env::new();
    let port = server.addr().port();
    let c = format!(
        "[feeds]\nbackfill = \"all\"\n[http]\nper_host_concurrency = 1\n[[feed]]\nurl = \"{}\"\n[[feed]]\nurl = \"http://localhost:{port}/busy-a\"\n",
        server.url("/news/")
    );
    env.write("c.toml", &c);
    let s = env.once("c.toml", &[]);
    assert_eq!((n(&s, "http_200"), n(&s, "entries_new")), (1, 1), "{s}");
    let rows = env.feed_status("c.toml");
    let news = status_row(&rows, "/news/");
    assert!(
        news["redirect_url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/news/feed.xml")),
        "{news}"
    );
    // Second pass: the discovered feed is polled directly (304), the page is not fetched again.
    env.once("c.toml", &[]);
    assert_eq!(server.hits("/news/").ok, 1);
    assert_eq!(server.hits("/news/feed.xml").not_modified, 1);
    // A feed added on the rate-limited host waits for the Retry-After (deferred, not an error).
    env.write(
        "c.toml",
        &format!("{c}[[feed]]\nurl = \"http://localhost:{port}/busy-b\"\n"),
    );
    let s = env.once("c.toml", &[]);
    assert_eq!(
        server.hits("/busy-a").other,
        1,
        "no second request during Retry-After"
    );
    assert_eq!(
        server.hits("/busy-b"),
        Default::default(),
        "same host: deferred"
    );
    assert_eq!(n(&s, "deferred"), 1, "{s}");
}
