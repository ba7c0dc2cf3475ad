//! Hostile input, tried as an attacker would on loopback: pages announcing local files and
//! endless devices, redirects carrying credentials to other origins or into private ranges, an
//! OPML list naming `file://` feeds, absurd numbers in the config, a mail server that accepts
//! AUTH without TLS under `RUST_LOG=trace`, secrets in feed addresses, and a poll that panics.
//! Each must leave nothing local read, no secret sent or logged, and the daemon going.

use crate::common::http::{Behaviour, FeedServer};
use crate::util::{Env, n, status_row};
use std::io::{BufRead, BufReader, Write};
use std::time::{Duration, Instant};

const GOOD: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>ok</title><item><guid>g1</guid><title>US export controls on AI chips tightened</title><link>https://ok.example/1</link></item></channel></rss>"#;

fn page_announcing(href: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html><head><title>News</title><link rel="alternate" type="application/rss+xml" href="{href}"></head><body>hi</body></html>"#
    )
}

/// Everything chipwatch wrote under the temp dir (database, outbox), as lossy text.
fn all_state(env: &Env) -> String {
    let mut out = String::new();
    let mut stack = vec![env.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_none_or(|x| x != "toml" && x != "canary") {
                out.push_str(&String::from_utf8_lossy(
                    &std::fs::read(&p).unwrap_or_default(),
                ));
            }
        }
    }
    out
}

#[test]
fn announced_local_files_devices_and_private_addresses_are_never_fetched() {
    let server = FeedServer::start();
    let env = Env::new();
    let canary = env.write(
        "secret.canary",
        &GOOD.replace(
            "US export controls on AI chips tightened",
            "CANARY-7731 export controls",
        ),
    );
    server.set_feed("/good.rss", GOOD, "application/rss+xml");
    let canary_url = url::Url::from_file_path(&canary).unwrap().to_string();
    server.set_feed("/p-file.html", page_announcing(&canary_url), "text/html");
    server.set_feed(
        "/p-zero.html",
        page_announcing("file:///dev/zero"),
        "text/html",
    );
    server.set_feed(
        "/p-meta.html",
        page_announcing("http://169.254.169.254/latest/meta-data/"),
        "text/html",
    );
    let other_name = format!("http://localhost:{}/good.rss", server.addr().port());
    server.set_feed("/p-local.html", page_announcing(&other_name), "text/html");
    // A redirect to a local file or to the metadata address is no better.
    server.set_behaviour(
        "/r-file.rss",
        Behaviour::RedirectTo {
            status: 302,
            location: canary_url.clone(),
        },
    );
    server.set_behaviour(
        "/r-meta.rss",
        Behaviour::RedirectTo {
            status: 301,
            location: "http://169.254.169.254/latest/meta-data/".into(),
        },
    );
    let mut c = String::from(
        "[feeds]\nbackfill = \"all\"\n[http]\ntimeout = \"5s\"\nper_host_concurrency = 8\n",
    );
    for p in [
        "/good.rss",
        "/p-file.html",
        "/p-zero.html",
        "/p-meta.html",
        "/p-local.html",
        "/r-file.rss",
        "/r-meta.rss",
    ] {
        c.push_str(&format!("[[feed]]\nurl = \"{}\"\n", server.url(p)));
    }
    c.push_str("[[rule]]\nname = \"ec\"\nquery = '\"export controls\"'\n");
    env.write("c.toml", &c);
    let t = Instant::now();
    let out = env
        .command("c.toml", &["run", "--once", "--json", "--digest-now"])
        .env("RUST_LOG", "debug")
        .output()
        .unwrap();
    assert!(
        t.elapsed() < Duration::from_secs(30),
        "took {:?}",
        t.elapsed()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(n(&s, "entries_new"), 1, "{s}");
    assert!(!stderr.contains("CANARY"), "{stderr}");
    let state = all_state(&env);
    assert!(
        !state.contains("CANARY"),
        "a local file reached the store or the outbox"
    );
    assert!(state.contains("US export controls on AI chips tightened"));
    let rows = env.feed_status("c.toml");
    for (p, why) in [
        ("/p-file.html", "only http and https"),
        ("/p-zero.html", "only http and https"),
        ("/p-meta.html", "private address"),
        ("/p-local.html", "private address"),
        ("/r-file.rss", ""),
        ("/r-meta.rss", "private address"),
    ] {
        let r = status_row(&rows, p);
        let err = r["last_error"].as_str().unwrap_or_default();
        assert!(r["error_count"].as_i64() == Some(1), "{p}: {r}");
        assert!(err.contains(why), "{p}: {err}");
        assert!(
            r["redirect_url"].is_null(),
            "{p}: a refused address was stored: {r}"
        );
    }
}

#[test]
fn per_feed_headers_stay_on_the_configured_origin() {
    let a = FeedServer::start();
    let b = FeedServer::start();
    b.set_feed("/elsewhere.rss", GOOD, "application/rss+xml");
    b.set_feed(
        "/announced.rss",
        GOOD.replace("g1", "g2"),
        "application/rss+xml",
    );
    a.set_feed(
        "/same-target.rss",
        GOOD.replace("g1", "g3"),
        "application/rss+xml",
    );
    a.set_behaviour(
        "/cross.rss",
        Behaviour::RedirectTo {
            status: 302,
            location: b.url("/elsewhere.rss"),
        },
    );
    a.set_behaviour(
        "/same.rss",
        Behaviour::RedirectTo {
            status: 307,
            location: "/same-target.rss".into(),
        },
    );
    a.set_feed(
        "/page.html",
        page_announcing(&b.url("/announced.rss")),
        "text/html",
    );
    let env = Env::new();
    let mut c = String::from("[feeds]\nbackfill = \"all\"\n");
    for p in ["/cross.rss?token=T0K3N", "/same.rss", "/page.html"] {
        c.push_str(&format!(
            "[[feed]]\nurl = \"{}\"\nheaders = {{ Authorization = \"Bearer S3CRET\", X-Api-Key = \"K3Y\", Cookie = \"c=1\" }}\n",
            a.url(p)
        ));
    }
    env.write("c.toml", &c);
    let s = env.once("c.toml", &[]);
    assert_eq!(
        n(&s, "entries_new"),
        3,
        "every feed is read, without the headers where needed: {s}"
    );
    let leaked = |reqs: Vec<Vec<(String, String)>>| {
        reqs.iter().flatten().any(|(k, v)| {
            let k = k.to_ascii_lowercase();
            k == "authorization"
                || k == "x-api-key"
                || k == "cookie"
                || k == "referer"
                || v.contains("T0K3N")
        })
    };
    assert!(!b.requests("/elsewhere.rss").is_empty());
    assert!(
        !leaked(b.requests("/elsewhere.rss")),
        "{:?}",
        b.requests("/elsewhere.rss")
    );
    assert!(
        !leaked(b.requests("/announced.rss")),
        "{:?}",
        b.requests("/announced.rss")
    );
    let same = a.requests("/same-target.rss");
    assert!(
        same.iter()
            .flatten()
            .any(|(k, v)| k.eq_ignore_ascii_case("authorization") && v == "Bearer S3CRET"),
        "same-origin redirects keep the feed's headers: {same:?}"
    );
}

#[test]
fn opml_files_may_name_only_web_feeds() {
    let env = Env::new();
    env.write(
        "feeds.opml",
        r#"<?xml version="1.0"?><opml version="2.0"><body><outline text="x" xmlUrl="file:///etc/passwd"/></body></opml>"#,
    );
    env.write("c.toml", "[feeds]\nopml = \"feeds.opml\"\n");
    let out = env.run("c.toml", &["check-config"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("feeds.opml") && err.contains("not an http or https address"),
        "{err}"
    );

    env.write(
        "feeds.opml",
        r#"<?xml version="1.0"?><opml version="2.0"><body></body></opml>"#,
    );
    env.write(
        "import.opml",
        r#"<?xml version="1.0"?><opml version="2.0"><body><outline text="local" xmlUrl="file:///etc/passwd"/><outline text="odd" xmlUrl="gopher://x.example/feed"/><outline text="web" xmlUrl="https://news.example/rss"/></body></opml>"#,
    );
    let out = env.run("c.toml", &["feeds", "import-opml", "import.opml"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(env.path().join("feeds.opml")).unwrap();
    assert!(written.contains("https://news.example/rss"));
    assert!(
        !written.contains("file:") && !written.contains("gopher:"),
        "{written}"
    );
    assert!(env.run("c.toml", &["check-config"]).status.success());
}

#[test]
fn absurd_numbers_are_refused_with_their_place() {
    let env = Env::new();
    for (snippet, expect) in [
        ("[store]\nkeep_days = 1e20\n", "keep_days"),
        ("[store]\nkeep_days = nan\n", "keep_days"),
        ("[feeds]\ninterval = \"99999999999999w\"\n", "interval"),
        (
            "[feeds]\nbackfill = \"18446744073709551615w 18446744073709551615w\"\n",
            "backfill",
        ),
        ("[feeds]\nsilent_after = \"9999999d\"\n", "silent_after"),
        ("[http]\nconcurrency = -1\n", "concurrency"),
        ("[http]\nconcurrency = 100000000\n", "concurrency"),
        ("[http]\ntimeout = \"0s\"\n", "timeout"),
        ("[http]\nmax_body = \"99999999GiB\"\n", "max_body"),
        (
            "[[feed]]\nurl = \"https://x.example/rss\"\ninterval = \"99999999999d\"\n",
            "interval",
        ),
        (
            "[[rule]]\nname = \"r\"\nquery = \"chips\"\nweight = 1e300\n",
            "weight",
        ),
        (
            "[[digest]]\nname = \"d\"\nto = [\"a@example.org\"]\nalerts_per_hour = -5\n",
            "alerts_per_hour",
        ),
        (
            "[[digest]]\nname = \"d\"\nto = [\"a@example.org\"]\nmax_stories = 0\n",
            "max_stories",
        ),
        (
            "[server]\nlisten = \"127.0.0.1:0\"\nmax_scheduler_age = \"999999999w\"\n",
            "max_scheduler_age",
        ),
        (
            "[server]\nlisten = \"127.0.0.1:0\"\nallow = [\"10.0.0.0/33\"]\n",
            "allow",
        ),
    ] {
        env.write("c.toml", &format!("# absurd\n\n{snippet}"));
        let out = env.run("c.toml", &["check-config"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{snippet}: accepted");
        assert!(!err.contains("panicked"), "{snippet}: {err}");
        assert!(
            err.contains("c.toml:") && err.contains(expect),
            "{snippet}: {err}"
        );
    }
}

/// A plain-text SMTP server that offers AUTH PLAIN and LOGIN (as a badly set-up relay does)
/// and accepts one message. Returns its port and a handle yielding the message text.
fn auth_smtp_server() -> (u16, std::thread::JoinHandle<String>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let h = std::thread::spawn(move || {
        let (s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut w = s.try_clone().unwrap();
        let mut r = BufReader::new(s);
        let mut data = String::new();
        let mut in_data = false;
        writeln!(w, "220 test ESMTP\r").unwrap();
        let mut line = String::new();
        while r.read_line(&mut line).unwrap_or(0) > 0 {
            let cmd = line.trim_end().to_string();
            line.clear();
            if in_data {
                if cmd == "." {
                    in_data = false;
                    write!(w, "250 queued\r\n").unwrap();
                } else {
                    data.push_str(&cmd);
                    data.push('\n');
                }
                continue;
            }
            let upper = cmd.to_ascii_uppercase();
            let reply = if upper.starts_with("EHLO") {
                "250-test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n".to_string()
            } else if upper.starts_with("AUTH") {
                "235 ok\r\n".to_string()
            } else if upper.starts_with("DATA") {
                in_data = true;
                "354 go\r\n".to_string()
            } else if upper.starts_with("QUIT") {
                write!(w, "221 bye\r\n").unwrap();
                break;
            } else {
                "250 ok\r\n".to_string()
            };
            w.write_all(reply.as_bytes()).unwrap();
        }
        data
    });
    (port, h)
}

#[test]
fn no_secret_reaches_the_logs_at_trace_level() {
    use base64_free as b64;
    let (port, smtp) = auth_smtp_server();
    let server = FeedServer::start();
    server.set_feed("/good.rss", GOOD, "application/rss+xml");
    let env = Env::new();
    let password = "pw-Zq81-hunter";
    env.write(
        "c.toml",
        &format!(
            "[feeds]\nbackfill = \"all\"\n[mail]\nfrom = \"cw@example.org\"\n[smtp]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nusername = \"alice\"\npassword_env = \"CW_TEST_PW\"\n\
             [[feed]]\nurl = \"{}\"\n[[feed]]\nurl = \"{}\"\nheaders = {{ Authorization = \"Bearer HDR-77x\" }}\n\
             [[rule]]\nname = \"ec\"\nquery = '\"export controls\"'\n[[digest]]\nname = \"d\"\nto = [\"bob@example.org\"]\n",
            server.url("/good.rss?api_key=QK-5521"),
            server.url("/missing.rss?token=TK-9034")
        ),
    );
    let out = env
        .command("c.toml", &["run", "--once", "--json", "--digest-now"])
        .env("RUST_LOG", "trace")
        .env("CW_TEST_PW", password)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let message = smtp.join().unwrap();
    assert!(
        message.contains("export controls"),
        "the digest was delivered: {message}"
    );
    let forms = [
        password.to_string(),
        b64::encode(format!("\0alice\0{password}").as_bytes()),
        b64::encode(password.as_bytes()),
        "HDR-77x".into(),
        "QK-5521".into(),
        "TK-9034".into(),
    ];
    for f in &forms {
        assert!(!stderr.contains(f.as_str()), "{f} in the log:\n{stderr}");
        assert!(
            !message.contains(f.as_str()),
            "{f} in the digest:\n{message}"
        );
    }
    assert!(
        stderr.contains("token=REDACTED"),
        "the failing feed is still named: {stderr}"
    );
}

/// Base64 without a dependency (the test needs only encoding).
mod base64_free {
    pub fn encode(b: &[u8]) -> String {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for c in b.chunks(3) {
            let n = (u32::from(c[0]) << 16)
                | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
                | u32::from(*c.get(2).unwrap_or(&0));
            for i in 0..4 {
                if i <= c.len() {
                    out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}

#[test]
fn script_floods_cost_linear_time() {
    // 7 MB of `<script>x</script>`: quadratic skipping took minutes; linear takes milliseconds.
    let flood = "<script>x</script>".repeat(400_000);
    let t = Instant::now();
    let text = chipwatch::parse::text::html_to_text(&format!("{flood}<p>after the flood</p>"));
    assert_eq!(text, "after the flood");
    let style = "<STYLE>a{}</Style>".repeat(400_000);
    assert_eq!(chipwatch::parse::text::html_to_text(&style), "");
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
}

/// A clock that panics once when armed: the first `now()` of a poll then blows up.
struct TrapClock {
    armed: std::sync::atomic::AtomicBool,
}

impl chipwatch::clock::Clock for TrapClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        if self.armed.swap(false, std::sync::atomic::Ordering::SeqCst) {
            panic!("trap sprung");
        }
        chrono::Utc::now()
    }
}

#[test]
fn a_panicking_poll_is_recorded_backed_off_and_polled_again() {
    let server = FeedServer::start();
    server.set_feed("/good.rss", GOOD, "application/rss+xml");
    let env = Env::new();
    let text = format!("[[feed]]\nurl = \"{}\"\n", server.url("/good.rss"));
    let config = chipwatch::config::load_from_str(
        &text,
        None,
        chipwatch::config::ConfigSource::Embedded,
        env.path().to_path_buf(),
    )
    .unwrap();
    let clock = std::sync::Arc::new(TrapClock {
        armed: false.into(),
    });
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let svc = chipwatch::app::Service::start(config, clock.clone()).unwrap();
        let feeds = svc.register_feeds().await.unwrap();
        clock.armed.store(true, std::sync::atomic::Ordering::SeqCst);
        let mut summary = chipwatch::app::RunSummary::default();
        svc.poll_all(feeds, &mut summary).await;
        assert_eq!(summary.errors, 1, "{summary:?}");
        let now = chrono::Utc::now().timestamp();
        let st = svc
            .store
            .call(move |s| s.feed_statuses(now, None))
            .await
            .unwrap();
        assert_eq!(st[0].error_count, 1);
        assert!(
            st[0]
                .last_error
                .as_deref()
                .unwrap_or("")
                .contains("trap sprung")
        );
        assert!(st[0].next_check_at > now, "backed off");
        // The feed is polled again (it never stays stuck "in flight").
        let again = svc.register_feeds().await.unwrap();
        let mut summary = chipwatch::app::RunSummary::default();
        svc.poll_all(again, &mut summary).await;
        assert_eq!(summary.entries_new, 1, "{summary:?}");
        svc.shutdown();
    });
}
