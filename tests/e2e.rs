//! End to end over loopback: HTTP feed server with ETag/304, real SMTP server, real SQLite.
//! Poll twice (second all 304), change a feed (only the new entry), digest delivered once,
//! restart and nothing is re-sent; syndicated copies are one story.

use crate::common::http::FeedServer;
use crate::common::smtp::{SmtpServer, smtp_toml};
use crate::util::{Env, decoded, n};

fn rss(title: &str, items: &[(&str, &str, &str, &str)]) -> String {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>{title}</title><link>https://x.example/</link>"
    );
    for (guid, t, link, desc) in items {
        s.push_str(&format!("<item><guid isPermaLink=\"false\">{guid}</guid><title>{t}</title><link>{link}</link><description>{desc}</description><pubDate>Tue, 24 Nov 2026 08:00:00 +0000</pubDate></item>"));
    }
    s.push_str("</channel></rss>");
    s
}

const STORY: &str = "https://wire.example/2026/11/bis-entity-list-chip-firms";

fn config(server: &FeedServer, smtp_port: u16) -> String {
    format!(
        r#"
[feeds]
backfill = "all"
[[feed]]
url = "{a}"
name = "Alpha News"
[[feed]]
url = "{b}"
name = "Beta Wire"
[http]
per_host_concurrency = 4
{smtp}
[[rule]]
name = "export-controls"
query = '"export controls" OR "Entity List" OR 出口管制'
[[digest]]
name = "daily"
to = ["analyst@test.example"]
schedule = "daily at 08:00"
"#,
        a = server.url("/a.rss"),
        b = server.url("/b.xml"),
        smtp = smtp_toml(smtp_port),
    )
}

fn feeds(server: &FeedServer, extra_a: bool) {
    let mut a = vec![
        (
            "a-1",
            "Commerce adds 12 chip firms to the Entity List",
            STORY,
            "&lt;p&gt;The rule takes effect at once.&lt;/p&gt;",
        ),
        (
            "a-2",
            "Local bakery wins award",
            "https://alpha.example/bakery",
            "Bread.",
        ),
    ];
    if extra_a {
        a.insert(
            0,
            (
                "a-3",
                "Japan widens export controls on chip tools",
                "https://alpha.example/japan-tools",
                "METI said on Friday.",
            ),
        );
    }
    server.set_feed("/a.rss", rss("Alpha", &a), "application/rss+xml");
    let copy = format!("{STORY}?utm_source=beta&amp;utm_medium=rss");
    let b = vec![
        (
            "b-1",
            "Commerce adds 12 chip firms to the Entity List",
            copy.as_str(),
            "Syndicated copy.",
        ),
        (
            "b-2",
            "中国宣布对镓锗实施出口管制",
            "https://beta.example/zh/1",
            "商务部公告。",
        ),
        (
            "b-3",
            "Football results",
            "https://beta.example/football",
            "Scores.",
        ),
    ];
    server.set_feed("/b.xml", rss("Beta", &b), "application/rss+xml");
}

#[test]
fn poll_store_match_digest_once_and_never_again() {
    let server = FeedServer::start();
    let smtp = SmtpServer::start();
    feeds(&server, false);
    let env = Env::new();
    env.write("c.toml", &config(&server, smtp.port()));

    // First pass: everything new; the digest goes out at once with --digest-now.
    let s = env.once("c.toml", &["--digest-now"]);
    assert_eq!(
        (
            n(&s, "feeds"),
            n(&s, "http_200"),
            n(&s, "http_304"),
            n(&s, "errors")
        ),
        (2, 2, 0, 0),
        "{s}"
    );
    assert_eq!(n(&s, "entries_new"), 5, "{s}");
    assert_eq!(n(&s, "matches_new"), 3, "{s}");
    assert_eq!(n(&s, "digests_sent"), 1, "{s}");
    let msgs = smtp.messages();
    assert_eq!(msgs.len(), 1);
    let raw = String::from_utf8_lossy(&msgs[0].data).to_string();
    assert!(raw.contains("multipart/alternative"), "{raw}");
    assert!(raw.contains("Auto-Submitted: auto-generated"));
    assert!(raw.contains("Message-ID: <chipwatch.daily."));
    let body = decoded(&raw);
    assert!(body.contains("text/html") || raw.contains("text/html"));
    // The syndicated story appears once (as a story), its second outlet under "also reported by".
    let text_part = body.split("<!DOCTYPE html>").next().unwrap_or("");
    assert_eq!(
        text_part
            .matches("* Commerce adds 12 chip firms to the Entity List")
            .count(),
        1,
        "{text_part}"
    );
    assert!(text_part.contains("Also reported by:"), "{text_part}");
    assert!(text_part.contains("中国宣布对镓锗实施出口管制"));
    assert!(!text_part.contains("bakery") && !text_part.contains("Football"));
    // The story's link appears exactly once in the text part: the beta copy carries the same
    // article with tracking parameters, which are removed, so it is named without a link.
    assert_eq!(
        text_part.matches(STORY).count(),
        1,
        "story link once, tracking parameters removed: {text_part}"
    );
    assert!(!text_part.contains("utm_source"), "{text_part}");
    assert_eq!(msgs[0].to, vec!["analyst@test.example".to_string()]);

    // Second pass: nothing changed → all 304, nothing new, nothing sent.
    let s = env.once("c.toml", &["--digest-now"]);
    assert_eq!(
        (
            n(&s, "http_200"),
            n(&s, "http_304"),
            n(&s, "entries_new"),
            n(&s, "digests_sent")
        ),
        (0, 2, 0, 0),
        "{s}"
    );
    assert_eq!(server.hits("/a.rss").not_modified, 1);
    let reqs = server.requests("/a.rss");
    assert!(
        reqs.last()
            .is_some_and(|h| h.iter().any(|(k, _)| k == "if-none-match")),
        "conditional GET expected"
    );
    assert!(reqs.last().is_some_and(|h| {
        h.iter()
            .any(|(k, v)| k == "user-agent" && v.starts_with("chipwatch/"))
    }));

    // A feed changes: only its new entry is stored and matched, and only it is sent.
    feeds(&server, true);
    let s = env.once("c.toml", &["--digest-now"]);
    assert_eq!(
        (
            n(&s, "http_200"),
            n(&s, "http_304"),
            n(&s, "entries_new"),
            n(&s, "matches_new")
        ),
        (1, 1, 1, 1),
        "{s}"
    );
    assert_eq!(n(&s, "digests_sent"), 1);
    let msgs = smtp.messages();
    assert_eq!(msgs.len(), 2);
    let second = decoded(&String::from_utf8_lossy(&msgs[1].data));
    assert!(second.contains("Japan widens export controls on chip tools"));
    assert!(
        !second.contains("Commerce adds 12 chip firms"),
        "already delivered stories must not repeat"
    );

    // Restart against the same database: nothing is re-sent.
    let s = env.once("c.toml", &["--digest-now"]);
    assert_eq!(n(&s, "digests_sent"), 0, "{s}");
    assert_eq!(smtp.messages().len(), 2);

    // History and status commands read the same database.
    let out = env.run("c.toml", &["digest", "history", "--json"]);
    assert!(out.status.success());
    let h: serde_json::Value = serde_json::from_slice(&out.stdout).expect("history json");
    assert_eq!(h.as_array().map(|a| a.len()), Some(2));
    assert!(
        h.as_array()
            .is_some_and(|a| a.iter().all(|d| d["status"] == "sent"))
    );
}

#[test]
fn smtp_down_keeps_digest_pending_then_delivers_once() {
    let server = FeedServer::start();
    feeds(&server, false);
    let env = Env::new();
    // A port with nothing listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    env.write("c.toml", &config(&server, closed));
    let s = env.once("c.toml", &["--digest-now"]);
    assert_eq!(
        (
            n(&s, "digests_created"),
            n(&s, "digests_sent"),
            n(&s, "digests_failed"),
            n(&s, "digests_pending")
        ),
        (1, 0, 1, 1),
        "{s}"
    );
    let out = env.run("c.toml", &["digest", "send"]);
    assert!(
        !out.status.success(),
        "digest send must fail while the digest stays pending"
    );

    let smtp = SmtpServer::start();
    env.write("c.toml", &config(&server, smtp.port()));
    // The retry is due after its backoff; `digest send` retries pending digests first.
    let out = env.run("c.toml", &["digest", "history", "--json"]);
    let h: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(h[0]["status"], "pending");
    assert!(
        h[0]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("SMTP")),
        "{h}"
    );
    // Stand in for waiting out the retry backoff: make the pending digest due now.
    let db = rusqlite::Connection::open(env.path().join("chipwatch-state/chipwatch.db"))
        .expect("open db");
    db.execute(
        "UPDATE digests SET next_attempt_at = 0 WHERE status = 'pending'",
        [],
    )
    .expect("update");
    drop(db);
    let s = env.once("c.toml", &["--digest-now"]);
    assert_eq!(n(&s, "digests_sent"), 1, "{s}");
    let msgs = smtp.messages();
    assert_eq!(msgs.len(), 1);
    assert!(
        decoded(&String::from_utf8_lossy(&msgs[0].data)).contains("Commerce adds 12 chip firms")
    );
    let s = env.once("c.toml", &["--digest-now"]);
    assert_eq!(n(&s, "digests_sent"), 0);
    assert_eq!(smtp.messages().len(), 1, "delivered exactly once");
}

#[test]
fn backtest_shows_what_changed_rules_would_match() {
    let env = Env::new();
    env.write(
        "f.xml",
        &rss(
            "F",
            &[
                (
                    "1",
                    "Japan curbs chip tool exports",
                    "https://f.example/1",
                    "METI list grows.",
                ),
                ("2", "Rice harvest", "https://f.example/2", "Good year."),
            ],
        ),
    );
    let base = "[feeds]\nbackfill = \"all\"\n[[feed]]\npath = \"f.xml\"\nname = \"F\"\n";
    env.write(
        "c.toml",
        &format!("{base}[[rule]]\nname = \"rice\"\nquery = 'rice'\n"),
    );
    env.once("c.toml", &[]);
    env.write(
        "c.toml",
        &format!("{base}[[rule]]\nname = \"tools\"\nquery = '\"chip tool\" OR METI'\n"),
    );
    let out = env.run("c.toml", &["rules", "backtest", "--since", "1d"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("+ tools: Japan curbs chip tool exports (F)"),
        "{text}"
    );
    assert!(text.contains("- rice: Rice harvest (F)"), "{text}");
    assert!(
        text.contains(
            "2 entries checked: 1 would match now and did not, 1 matched then and would not now"
        ),
        "{text}"
    );
}

#[test]
fn a_refused_recipient_does_not_block_the_others() {
    use crate::common::smtp::SmtpMode;
    let server = FeedServer::start();
    let smtp = SmtpServer::start();
    smtp.set_mode(SmtpMode::RejectRecipient("gone@test.example".into()));
    feeds(&server, false);
    let env = Env::new();
    let c = config(&server, smtp.port()).replace(
        "to = [\"analyst@test.example\"]",
        "to = [\"analyst@test.example\", \"gone@test.example\"]\ncc = [\"desk@test.example\"]",
    );
    env.write("c.toml", &c);
    let s = env.once("c.toml", &["--digest-now"]);
    assert_eq!(
        (n(&s, "digests_sent"), n(&s, "digests_pending")),
        (1, 0),
        "{s}"
    );
    let got: Vec<Vec<String>> = smtp.messages().iter().map(|m| m.to.clone()).collect();
    assert_eq!(
        got,
        vec![
            vec!["analyst@test.example".to_string()],
            vec!["desk@test.example".to_string()]
        ],
        "each good recipient once"
    );
    let out = env.run("c.toml", &["digest", "history", "--json"]);
    let h: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(h[0]["status"], "sent");
    assert_eq!(h[0]["rejected"][0][0], "gone@test.example", "{h}");
    // Nothing is sent again.
    let s = env.once("c.toml", &["--digest-now"]);
    assert_eq!(n(&s, "digests_sent"), 0);
    assert_eq!(smtp.messages().len(), 2);
}

fn message_id(data: &[u8]) -> String {
    String::from_utf8_lossy(data)
        .lines()
        .find_map(|l| l.strip_prefix("Message-ID: ").map(str::to_string))
        .unwrap_or_default()
}

fn make_pending_due(env: &Env) {
    let db = rusqlite::Connection::open(env.path().join("chipwatch-state/chipwatch.db")).unwrap();
    db.execute(
        "UPDATE digests SET next_attempt_at = 0 WHERE status = 'pending'",
        [],
    )
    .unwrap();
}

#[test]
fn smtp_4xx_and_a_dropped_connection_are_retried_with_the_same_message_id() {
    use crate::common::smtp::SmtpMode;
    let server = FeedServer::start();
    let smtp = SmtpServer::start();
    feeds(&server, false);
    let env = Env::new();
    env.write("c.toml", &config(&server, smtp.port()));
    // 451 at the end of DATA: a temporary failure, the digest stays pending.
    smtp.set_mode(SmtpMode::TempFailData);
    let s = env.once("c.toml", &["--digest-now"]);
    assert_eq!(
        (n(&s, "digests_sent"), n(&s, "digests_pending")),
        (0, 1),
        "{s}"
    );
    // The server takes the message but the connection drops before its reply: still pending.
    smtp.set_mode(SmtpMode::DropAfterData);
    make_pending_due(&env);
    let s = env.once("c.toml", &[]);
    assert_eq!(n(&s, "digests_pending"), 1, "{s}");
    let dropped = smtp.dropped();
    assert_eq!(dropped.len(), 1);
    // Server back to normal: delivered, with the same Message-ID as the copy it already took
    // (the documented window: recognisable as a duplicate by mail systems).
    smtp.set_mode(SmtpMode::Accept);
    make_pending_due(&env);
    let s = env.once("c.toml", &[]);
    assert_eq!(
        (n(&s, "digests_sent"), n(&s, "digests_pending")),
        (1, 0),
        "{s}"
    );
    let got = smtp.messages();
    assert_eq!(got.len(), 1);
    assert_eq!(message_id(&got[0].data), message_id(&dropped[0].data));
    let s = env.once("c.toml", &["--digest-now"]);
    assert_eq!(n(&s, "digests_sent"), 0);
    assert_eq!(smtp.messages().len(), 1);
}

#[test]
fn maildir_transport_delivers_into_new() {
    let env = Env::new();
    env.write(
        "f.xml",
        &rss(
            "F",
            &[(
                "1",
                "New export controls on chips",
                "https://f.example/1",
                "BIS rule.",
            )],
        ),
    );
    env.write(
        "c.toml",
        "[feeds]\nbackfill = \"all\"\n[[feed]]\npath = \"f.xml\"\n[mail]\ntransport = \"maildir\"\ndir = \"Mail\"\n[[rule]]\nname = \"ec\"\nquery = '\"export controls\"'\n",
    );
    let s = env.once("c.toml", &["--digest-now"]);
    assert_eq!(n(&s, "digests_sent"), 1, "{s}");
    let md = env.path().join("chipwatch-state/Mail");
    let list = |d: &str| std::fs::read_dir(md.join(d)).unwrap().count();
    assert_eq!((list("new"), list("tmp"), list("cur")), (1, 0, 0));
    let file = std::fs::read_dir(md.join("new"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let body = decoded(&std::fs::read_to_string(file).unwrap());
    assert!(body.contains("New export controls on chips"));
}

#[test]
fn a_feed_without_a_name_is_shown_by_its_document_title() {
    let server = FeedServer::start();
    server.set_feed(
        "/w.rss",
        rss(
            "Chip Policy Wire",
            &[(
                "a1",
                "US adds chip firms to the Entity List",
                "https://wire.example/el",
                "Commerce added them to the Entity List.",
            )],
        ),
        "application/rss+xml",
    );
    let env = Env::new();
    env.write(
        "c.toml",
        &format!(
            "[feeds]\nbackfill = \"all\"\n[mail]\ntransport = \"file\"\n[[feed]]\nurl = \"{}\"\n\
             [[rule]]\nname = \"el\"\nquery = '\"Entity List\"'\n",
            server.url("/w.rss")
        ),
    );
    env.once("c.toml", &["--digest-now"]);
    let msgs = env.emls("chipwatch-state/outbox");
    assert_eq!(msgs.len(), 1);
    let text = decoded(&msgs[0]);
    assert!(text.contains("  Chip Policy Wire · "), "{text}");
    assert!(
        !text.contains(&format!("  {} · ", server.url("/w.rss"))),
        "{text}"
    );
}
