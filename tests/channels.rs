//! Channels over loopback (issue 14): a webhook receiver that refuses connections, then
//! answers 500 once, then 200 — every part arrives once by idempotency key, signed, with every
//! story; Slack payloads within Slack's limits; Retry-After honoured; 4xx dead-lettered;
//! Matrix, Telegram and ntfy requests; `channel test`; secrets never printed; and `digest
//! send` meaning "now" after an SMTP outage.

use crate::common::hook::{Hook, Request};
use crate::common::http::FeedServer;
use crate::common::smtp::{SmtpServer, smtp_toml};
use crate::util::{Env, decoded, n};
use std::collections::{HashMap, HashSet};

const HOOK_SECRET: &str = "s3cret-key";

fn link(i: usize) -> String {
    format!("https://wire.example/2026/11/story-{i}")
}

fn rss(count: usize) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Wire</title><link>https://wire.example/</link>",
    );
    for i in 0..count {
        s.push_str(&format!(
            "<item><guid>g{i}</guid><title>Commerce adds firm {i} to the Entity List</title><link>{}?utm_source=rss&amp;utm_campaign=x</link><description>The Entity List grows by one chip firm, number {i}.</description><pubDate>Tue, 24 Nov 2026 08:00:00 +0000</pubDate></item>",
            link(i)
        ));
    }
    s.push_str("</channel></rss>");
    s
}

fn config(feed: &str, channels: &str, profile_channels: &str, mail: &str) -> String {
    format!(
        r#"
[feeds]
backfill = "all"
[[feed]]
url = "{feed}"
name = "Wire"
{mail}
[[rule]]
name = "el"
topic = "Entity List"
query = '"Entity List"'
{channels}
[[digest]]
name = "daily"
channels = [{profile_channels}]
schedule = "daily at 08:00"
"#
    )
}

/// Runs `chipwatch ARGS`, returning (success, stdout + stderr).
fn run(env: &Env, args: &[&str]) -> (bool, String) {
    let out = env.run("c.toml", args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn signature_ok(r: &Request) -> bool {
    let Some(sig) = r
        .header("X-Chipwatch-Signature")
        .and_then(|s| s.strip_prefix("sha256="))
    else {
        return false;
    };
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, HOOK_SECRET.as_bytes());
    let bytes: Vec<u8> = (0..sig.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&sig[i..i + 2], 16).ok())
        .collect();
    sig.chars().all(|c| !c.is_ascii_uppercase())
        && ring::hmac::verify(&key, &r.body, &bytes).is_ok()
}

/// Accepted requests by idempotency key: each key must be accepted exactly once.
fn accepted_once(reqs: &[&Request]) -> HashSet<String> {
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for r in reqs.iter().filter(|r| r.status == 200) {
        let key = r.header("Idempotency-Key").expect("Idempotency-Key");
        *by_key.entry(key.to_string()).or_default() += 1;
    }
    assert!(by_key.values().all(|&c| c == 1), "{by_key:?}");
    for r in reqs {
        let key = r.header("Idempotency-Key").unwrap_or_default();
        assert!(by_key.contains_key(key), "a part never accepted: {key}");
    }
    by_key.into_keys().collect()
}

fn check_slack(reqs: &[&Request], stories: usize) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in reqs.iter().filter(|r| r.status == 200) {
        let v = r.json();
        let blocks = v["blocks"].as_array().expect("blocks");
        assert!(
            !blocks.is_empty() && blocks.len() <= 50,
            "{} blocks",
            blocks.len()
        );
        assert!(v["text"].as_str().is_some_and(|t| !t.is_empty()));
        let mut chars = v["text"].as_str().unwrap().chars().count();
        for b in blocks {
            let t = b["text"]["text"].as_str().expect("block text");
            match b["type"].as_str() {
                Some("header") => assert!(t.chars().count() <= 150),
                Some("section") => {
                    assert_eq!(b["text"]["type"], "mrkdwn");
                    assert!(t.chars().count() <= 3000);
                }
                other => panic!("unexpected block {other:?}"),
            }
            chars += t.chars().count();
            for i in 0..stories {
                if t.contains(&format!("<{}|", link(i))) {
                    *seen.entry(link(i)).or_default() += 1;
                }
            }
        }
        assert!(chars <= 40_000, "{chars} characters");
    }
    assert_eq!(seen.len(), stories, "every story in the Slack parts");
    assert!(seen.values().all(|&c| c == 1), "each story in one part");
}

#[test]
fn webhook_and_slack_parts_arrive_once_after_refusals_and_a_500() {
    let server = FeedServer::start();
    server.set_feed("/w.rss", rss(30), "application/rss+xml");
    let hook = Hook::reserve();
    let env = Env::new();
    env.write("hook.key", &format!("{HOOK_SECRET}\n"));
    let channels = format!(
        "[[channel]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"{}\"\nsecret_file = \"hook.key\"\n\
         [[channel]]\nname = \"desk\"\nkind = \"slack\"\nurl_env = \"DESK_HOOK\"\n",
        hook.url("/hook/TOKEN-abc123")
    );
    env.write(
        "c.toml",
        &config(&server.url("/w.rss"), &channels, "\"hook\", \"desk\"", ""),
    );
    let desk = hook.url("/services/T0K3N/B0K3N/SLACKSECRET");
    let mut cmd = env.command("c.toml", &["run", "--once", "--json", "--digest-now"]);
    let out = cmd.env("DESK_HOOK", &desk).output().expect("run");
    let mut printed = String::from_utf8_lossy(&out.stderr).to_string();
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).expect("summary");
    // One webhook part, two Slack parts (24 stories at most per Slack message): all refused.
    assert_eq!(
        (n(&s, "digests_created"), n(&s, "digests_sent")),
        (3, 0),
        "{s}"
    );
    assert_eq!(n(&s, "digests_pending"), 3, "{s}");
    // The cause is said (not only reqwest's "error sending request").
    assert!(printed.contains("refused"), "{printed}");

    hook.listen();
    hook.script(&[(500, &[])]);
    let by_hand = |env: &Env, args: &[&str]| {
        let out = env
            .command("c.toml", args)
            .env("DESK_HOOK", &desk)
            .output()
            .expect("run");
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (ok, text) = by_hand(&env, &["digest", "send"]);
    printed.push_str(&text);
    assert!(ok, "digest send: {text}");
    let got = hook.received();
    assert_eq!(got.iter().filter(|r| r.status == 500).count(), 1);
    let hooks: Vec<&Request> = got
        .iter()
        .filter(|r| r.path.starts_with("/hook/"))
        .collect();
    let slack: Vec<&Request> = got
        .iter()
        .filter(|r| r.path.starts_with("/services/"))
        .collect();
    assert_eq!(accepted_once(&hooks).len(), 1);
    assert_eq!(accepted_once(&slack).len(), 2);
    assert!(hooks.iter().all(|r| signature_ok(r)), "signatures verify");
    let payload = hooks.iter().find(|r| r.status == 200).unwrap().json();
    let stories = payload["stories"].as_array().expect("stories");
    assert_eq!(stories.len(), 30);
    for i in 0..30 {
        assert!(
            stories.iter().any(|s| s["link"] == link(i)
                && s["topic"] == "Entity List"
                && s["outlet"] == "Wire"
                && s["rules"][0] == "el"),
            "story {i} in the webhook payload"
        );
    }
    assert!(!String::from_utf8_lossy(&hooks[0].body).contains("utm_"));
    // Plain text for a machine: no text-part marks; highlights as character spans.
    for s in stories {
        let excerpt = s["excerpt"].as_str().unwrap();
        assert!(!excerpt.contains('«') && !excerpt.contains('»'), "{s}");
        let h = &s["highlights"][0];
        let (a, b) = (
            h["start"].as_u64().unwrap() as usize,
            h["end"].as_u64().unwrap() as usize,
        );
        let marked: String = excerpt.chars().skip(a).take(b - a).collect();
        assert_eq!(marked, "Entity List", "{s}");
        assert_eq!(s["terms"][0], "Entity List", "{s}");
    }
    check_slack(&slack, 30);

    // Nothing more: a second `digest send`, then a forced cycle.
    let before = hook.received().len();
    let (ok, text) = by_hand(&env, &["digest", "send"]);
    printed.push_str(&text);
    assert!(ok, "{text}");
    let (ok, text) = by_hand(&env, &["run", "--once", "--digest-now"]);
    printed.push_str(&text);
    assert!(ok, "{text}");
    assert_eq!(hook.received().len(), before, "nothing delivered twice");

    let out = env
        .command("c.toml", &["digest", "history", "--json"])
        .env("DESK_HOOK", &desk)
        .output()
        .expect("history");
    let history = String::from_utf8_lossy(&out.stdout).to_string();
    let h: serde_json::Value = serde_json::from_str(history.trim()).expect("history");
    let rows = h.as_array().unwrap();
    assert!(
        rows.iter()
            .all(|r| r["status"] == "sent" && r["kind"] == "digest")
    );
    assert!(rows.iter().any(|r| r["channel"] == "hook"));
    let (_, listing) = by_hand(&env, &["digest", "history"]);
    printed.push_str(&history);
    printed.push_str(&listing);
    for secret in ["TOKEN-abc123", "T0K3N", "SLACKSECRET", HOOK_SECRET] {
        assert!(!printed.contains(secret), "{secret} printed: {printed}");
    }
}

#[test]
fn retry_after_is_honoured_and_4xx_dead_letters() {
    let server = FeedServer::start();
    server.set_feed("/w.rss", rss(2), "application/rss+xml");
    let (slow, bad, later) = (Hook::start(), Hook::start(), Hook::start());
    slow.script(&[(429, &[("Retry-After", "1")])]);
    bad.script(&[(400, &[])]);
    later.script(&[(503, &[("Retry-After", "3600")])]);
    let env = Env::new();
    let channels = format!(
        "[[channel]]\nname = \"slow\"\nkind = \"webhook\"\nurl = \"{}\"\n\
         [[channel]]\nname = \"bad\"\nkind = \"slack\"\nurl = \"{}\"\n\
         [[channel]]\nname = \"later\"\nkind = \"webhook\"\nurl = \"{}\"\n",
        slow.url("/in"),
        bad.url("/in"),
        later.url("/in")
    );
    env.write(
        "c.toml",
        &config(
            &server.url("/w.rss"),
            &channels,
            "\"slow\", \"bad\", \"later\"",
            "",
        ),
    );
    env.once("c.toml", &[]);
    let (ok, text) = run(&env, &["digest", "send"]);
    assert!(!ok, "a dead letter and a held part: {text}");
    let s = slow.received();
    assert_eq!(
        s.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![429, 200]
    );
    assert!(
        s[1].at.duration_since(s[0].at) >= std::time::Duration::from_millis(900),
        "Retry-After: 1 was waited out"
    );
    assert_eq!(
        s[0].header("Idempotency-Key"),
        s[1].header("Idempotency-Key")
    );
    assert_eq!(bad.received().len(), 1);
    assert_eq!(
        later.received().len(),
        1,
        "an hour's Retry-After is not waited in place"
    );
    let (_, history) = run(&env, &["digest", "history", "--json"]);
    let h: serde_json::Value = serde_json::from_str(history.trim()).expect("history");
    let status = |c: &str| {
        h.as_array()
            .unwrap()
            .iter()
            .find(|r| r["channel"] == c)
            .map(|r| r["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status("slow").as_deref(), Some("sent"));
    assert_eq!(status("bad").as_deref(), Some("dead"));
    assert_eq!(status("later").as_deref(), Some("pending"));
    // By hand means now, but not before the service said: the held part waits its hour.
    let (_, _) = run(&env, &["digest", "send"]);
    assert_eq!(bad.received().len(), 1, "a dead letter is not retried");
    assert_eq!(later.received().len(), 1, "Retry-After is honoured");
}

#[test]
fn matrix_telegram_and_ntfy_requests_and_channel_test() {
    let server = FeedServer::start();
    server.set_feed("/w.rss", rss(2), "application/rss+xml");
    let hook = Hook::start();
    let env = Env::new();
    env.write("mx.token", "MXTOKEN\n");
    env.write("tg.token", "123:TGTOKEN\n");
    let channels = format!(
        "[[channel]]\nname = \"room\"\nkind = \"matrix\"\nhomeserver = \"{home}\"\nroom = \"!r:x.org\"\ntoken_file = \"mx.token\"\n\
         [[channel]]\nname = \"tg\"\nkind = \"telegram\"\nurl = \"{home}\"\ntoken_file = \"tg.token\"\nchat_id = \"-100\"\n\
         [[channel]]\nname = \"push\"\nkind = \"ntfy\"\nurl = \"{topic}\"\ntoken_file = \"mx.token\"\n",
        home = hook.url(""),
        topic = hook.url("/chips")
    );
    env.write(
        "c.toml",
        &config(
            &server.url("/w.rss"),
            &channels,
            "\"room\", \"tg\", \"push\"",
            "",
        ),
    );
    env.once("c.toml", &[]);
    let (ok, mut printed) = run(&env, &["digest", "send"]);
    assert!(ok, "{printed}");
    let got = hook.received();
    let mx = got.iter().find(|r| r.method == "PUT").expect("matrix PUT");
    assert!(
        mx.path
            .starts_with("/_matrix/client/v3/rooms/%21r%3Ax.org/send/m.room.message/chipwatch."),
        "{}",
        mx.path
    );
    assert_eq!(mx.header("Authorization"), Some("Bearer MXTOKEN"));
    let m = mx.json();
    assert_eq!(m["format"], "org.matrix.custom.html");
    assert!(m["formatted_body"].as_str().unwrap().contains(&link(1)));
    let tg = got
        .iter()
        .find(|r| r.path == "/bot123:TGTOKEN/sendMessage")
        .expect("telegram");
    let t = tg.json();
    assert_eq!(
        (t["chat_id"].as_str(), t["parse_mode"].as_str()),
        (Some("-100"), Some("HTML"))
    );
    assert!(t["text"].as_str().unwrap().contains(&link(0)));
    let nt = got.iter().find(|r| r.path == "/").expect("ntfy");
    let v = nt.json();
    assert_eq!(
        (v["topic"].as_str(), v["markdown"].as_bool()),
        (Some("chips"), Some(true))
    );
    assert!(v["message"].as_str().unwrap().contains(&link(1)));

    let (ok, text) = run(&env, &["channel", "test", "push"]);
    assert!(
        ok && text.contains("channel push (ntfy): HTTP 200: ok"),
        "{text}"
    );
    printed.push_str(&text);
    let (ok, text) = run(&env, &["channel", "test", "nope"]);
    assert!(!ok && text.contains("no channel named `nope`"), "{text}");
    // With an [smtp] table too (every quick-start setup made with --smtp has one): the SMTP
    // pool is built and dropped inside the runtime, the test message goes out.
    env.write(
        "c.toml",
        &config(
            &server.url("/w.rss"),
            &channels,
            "\"room\", \"tg\", \"push\"",
            &format!("{}\n", smtp_toml(9)),
        ),
    );
    let (ok, text) = run(&env, &["channel", "test", "push"]);
    assert!(
        ok && text.contains("channel push (ntfy): HTTP 200: ok"),
        "{text}"
    );
    for secret in ["MXTOKEN", "TGTOKEN"] {
        assert!(!printed.contains(secret), "{secret} printed: {printed}");
    }
}

#[test]
fn digest_send_means_now_after_an_smtp_outage() {
    let server = FeedServer::start();
    server.set_feed("/w.rss", rss(3), "application/rss+xml");
    let env = Env::new();
    let closed = Hook::reserve();
    let mail = |port: u16| format!("{}\n", smtp_toml(port));
    let write = |port: u16| {
        let c = config(&server.url("/w.rss"), "", "", &mail(port))
            .replace("channels = []", "to = [\"analyst@test.example\"]");
        env.write("c.toml", &c);
    };
    let port = closed.url("").rsplit(':').next().unwrap().parse().unwrap();
    write(port);
    let s = env.once("c.toml", &["--digest-now"]);
    assert_eq!(
        (n(&s, "digests_created"), n(&s, "digests_pending")),
        (1, 1),
        "{s}"
    );
    let smtp = SmtpServer::start();
    write(smtp.port());
    // No waiting for the backoff: run by hand, it sends now.
    let (ok, text) = run(&env, &["digest", "send"]);
    assert!(ok, "{text}");
    assert!(
        text.contains("1 sent") && text.contains("0 still pending"),
        "{text}"
    );
    let msgs = smtp.messages();
    assert_eq!(msgs.len(), 1);
    let raw = String::from_utf8_lossy(&msgs[0].data).to_string();
    assert!(raw.contains("multipart/alternative"));
    let body = decoded(&raw);
    for i in 0..3 {
        assert!(body.contains(&link(i)), "story {i}");
    }
    let (ok, _) = run(&env, &["digest", "send"]);
    assert!(ok);
    assert_eq!(smtp.messages().len(), 1, "exactly one message");
}

#[test]
fn full_why_only_with_explain_and_always_in_preview() {
    let server = FeedServer::start();
    server.set_feed("/w.rss", rss(2), "application/rss+xml");
    let env = Env::new();
    let write = |explain: bool| {
        let c = config(&server.url("/w.rss"), "", "", "")
            .replace("channels = []", "to = [\"analyst@test.example\"]")
            .replace(
                "schedule = \"daily at 08:00\"",
                &format!("schedule = \"daily at 08:00\"\nexplain = {explain}"),
            );
        env.write("c.toml", &c);
    };
    write(false);
    env.once("c.toml", &[]);
    let (ok, preview) = run(&env, &["digest", "preview", "--text"]);
    assert!(ok && preview.contains("(rule el; terms: "), "{preview}");
    env.once("c.toml", &["--digest-now"]);
    let mail = decoded(&env.emls("chipwatch-state/outbox")[0]);
    assert!(mail.contains("Why: Entity List"), "{mail}");
    assert!(
        !mail.contains("rule el") && !mail.contains("score"),
        "{mail}"
    );
    assert!(mail.contains("== Entity List ==") && mail.contains("24 Nov, 08:00 UTC"));
    // With explain = true the mailed digest carries the detail too.
    server.set_feed("/w.rss", rss(3), "application/rss+xml");
    write(true);
    env.once("c.toml", &["--digest-now"]);
    let mail = decoded(&env.emls("chipwatch-state/outbox")[1]);
    assert!(
        mail.contains("(rule el; terms: ") && mail.contains("score"),
        "{mail}"
    );
}

#[test]
fn channel_mistakes_name_line_and_problem_and_hide_the_url() {
    let env = Env::new();
    let profile = "[[digest]]\nname = \"d\"\nchannels = [\"desk\"]\n";
    let cases: &[(&str, &[&str])] = &[
        (
            "[[channel]]\nname = \"desk\"\nkind = \"irc\"\n",
            &["c.toml:3", "kind = \"irc\"", "\"slack\""],
        ),
        (
            "[[channel]]\nname = \"desk\"\nkind = \"slack\"\n",
            &["c.toml:3", "channel `desk`", "needs url"],
        ),
        (
            "[[channel]]\nname = \"desk\"\nkind = \"slack\"\nurl_env = \"CW_TEST_UNSET_HOOK\"\n",
            &["c.toml:4", "CW_TEST_UNSET_HOOK", "not set"],
        ),
        (
            "[[channel]]\nname = \"desk\"\nkind = \"webhook\"\nurl = \"ftp://hooks.example/SECRETPATH\"\n",
            &["c.toml:4", "not an http(s) URL"],
        ),
        (
            "[[channel]]\nname = \"desk\"\nkind = \"matrix\"\nhomeserver = \"https://m.example\"\n",
            &["channel `desk`", "homeserver and room"],
        ),
        (
            "[[channel]]\nname = \"desk\"\nkind = \"telegram\"\ntoken_file = \"missing-token\"\nchat_id = \"1\"\n",
            &["missing-token"],
        ),
        (
            "[[channel]]\nname = \"desk!\"\nkind = \"slack\"\nurl = \"https://h.example/\"\n",
            &["c.toml:2", "letters, digits"],
        ),
        (
            "[[channel]]\nname = \"other\"\nkind = \"ntfy\"\nurl = \"https://ntfy.example/t\"\n",
            &["c.toml:7", "unknown channel `desk`"],
        ),
    ];
    for (text, expect) in cases {
        env.write("c.toml", &format!("{text}{profile}"));
        let (ok, msg) = run(&env, &["check-config"]);
        assert!(!ok, "expected failure for {text}: {msg}");
        assert!(!msg.contains("SECRETPATH"), "the URL is never shown: {msg}");
        for e in *expect {
            assert!(msg.contains(e), "{text}: message lacks {e:?}: {msg}");
        }
    }
    env.write(
        "c.toml",
        &format!("[[channel]]\nname = \"desk\"\nkind = \"slack\"\nurl = \"https://hooks.example/SECRETPATH\"\n{profile}"),
    );
    let (ok, msg) = run(&env, &["check-config"]);
    assert!(ok && msg.contains("1 channel (slack desk)"), "{msg}");
    assert!(!msg.contains("SECRETPATH"), "{msg}");
}
