//! No silent empties: a document that lists items the parse does not read is recorded as a
//! parse problem (`feeds status` state `unparsed`/`partial` with the counts, the digest
//! footer), and a feed that turns into an HTML page is reported as unparsed, through the real
//! binary and a loopback HTTP server.

use crate::common::http::FeedServer;
use crate::util::{Env, status_row};

const GOOD: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>ok</title><item><guid>1</guid><title>US export controls on AI chips</title><link>https://ok.example/1</link></item></channel></rss>"#;

/// Items in a namespace no parser knows: listed, but none is read.
const UNREADABLE: &str = r#"<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://example.org/unknown/"><channel><title>x</title></channel><item><title>a</title></item><item><title>b</title></item><item><title>c</title></item></rdf:RDF>"#;

#[test]
fn unread_items_and_html_instead_of_a_feed_are_reported() {
    let server = FeedServer::start();
    server.set_feed("/good.rss", GOOD, "application/rss+xml");
    server.set_feed("/odd.rdf", UNREADABLE, "application/rdf+xml");
    server.set_feed("/turns.rss", GOOD, "application/rss+xml");
    let env = Env::new();
    let mut c = String::from("[feeds]\nbackfill = \"all\"\n");
    for p in ["/good.rss", "/odd.rdf", "/turns.rss"] {
        c.push_str(&format!("[[feed]]\nurl = \"{}\"\n", server.url(p)));
    }
    c.push_str("[[rule]]\nname = \"ec\"\nquery = '\"export controls\"'\n");
    env.write("c.toml", &c);
    let out = env
        .command("c.toml", &["run", "--once", "--json"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("items were not read"), "no WARN: {log}");
    let r = env.feed_status("c.toml");
    let odd = status_row(&r, "/odd.rdf");
    let problem = odd["parse_problem"].as_str().unwrap_or("");
    assert!(
        problem.starts_with("unparsed") && problem.contains('3'),
        "{odd}"
    );
    assert!(status_row(&r, "/good.rss")["parse_problem"].is_null());
    let text = env.run("c.toml", &["feeds", "status"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("unparsed") && l.contains("/odd.rdf")),
        "{text}"
    );

    // The feed that was fine now serves a login page: unparsed, and said so.
    server.set_feed(
        "/turns.rss",
        "<!DOCTYPE html><html><head><title>Sign in</title></head><body>Log in</body></html>",
        "text/html",
    );
    let _ = env.run("c.toml", &["run", "--once", "--json"]);
    let r = env.feed_status("c.toml");
    let turned = status_row(&r, "/turns.rss");
    let err = turned["last_error"].as_str().unwrap_or("");
    assert!(
        err.contains("unparsed") && err.contains("HTML page"),
        "{turned}"
    );

    // The digest footer lists both.
    let out = env.run("c.toml", &["digest", "preview"]);
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.contains("unparsed: none of 3 items"), "{page}");
}
