//! The first hour of a new user: `chipwatch init` (no terminal: flags or placeholders, a
//! config valid from any working directory), the quick start to a digest in a mailbox on a
//! loopback SMTP server (`mail test`, `run --once --digest-now`, `digest send`), every
//! configuration mistake as `file:line:col: what — hint` in one run, warnings for
//! contradictions, `feeds status` before the first poll, journald priorities, help text on
//! every option, and a second signal exiting non-zero.

use crate::common::http::{Behaviour, FeedServer};
use crate::common::smtp::SmtpServer;
use crate::util::Env;
use std::time::{Duration, Instant};

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Each bad config (written as c.toml) and the exact error lines `check-config` prints.
#[test]
fn every_mistake_in_one_run_as_file_line_col_what_hint() {
    let env = Env::new();
    let cases: &[(&str, &[&str])] = &[
        (
            "[[digest]]\nname = \"d\"\nto = [\"a@b.example\"]\ntimzone = \"UTC\"\n",
            &[
                "c.toml:4:1: unknown key `timzone` in [[digest]] #1 \"d\" — did you mean `timezone`?",
            ],
        ),
        (
            "[smtp]\nhost = \"x\"\nport = \"587\"\n",
            &[
                "c.toml:3:8: `port` in [smtp] must be a whole number, not string \"587\" — write port = 587 (without quotes)",
            ],
        ),
        (
            "[smtp]\nhost = \"x\"\nport = 70000\n",
            &[
                "c.toml:3:8: `port` in [smtp] must be a whole number from 0 to 65535, not integer `70000`",
            ],
        ),
        (
            "[http]\ntimeout = 30\n",
            &[
                "c.toml:2:11: `timeout` in [http] must be text in quotes, not integer `30` — write timeout = \"30s\" (a duration in quotes: \"30s\", \"5m\", \"1h\")",
            ],
        ),
        (
            "[[feed]]\nurl = \"www.example.com/feed.xml\"\n",
            &[
                "c.toml:2:7: bad feed URL \"www.example.com/feed.xml\": relative URL without a base — did you mean \"https://www.example.com/feed.xml\"?",
            ],
        ),
        (
            "[[digest]]\nname = \"d\"\nto = [\"a@b.example\"]\ntimezone = \"Asia/Shangai\"\n",
            &[
                "c.toml:4:12: digest `d`: unknown time zone \"Asia/Shangai\" — did you mean \"Asia/Shanghai\"?",
            ],
        ),
        (
            "[mail]\ntransport = \"smpt\"\n",
            &[
                "c.toml:2:13: [mail] transport = \"smpt\" is not a transport — did you mean \"smtp\"? (one of \"file\", \"maildir\", \"smtp\", \"sendmail\")",
            ],
        ),
        (
            "[[rule]]\nname = \"r\"\nquery = \"chip\"\npriority = \"alrt\"\n",
            &[
                "c.toml:4:12: rule `r`: priority = \"alrt\" — did you mean \"alert\"? (one of \"digest\", \"alert\")",
            ],
        ),
        (
            "[[digest]]\nto = [\"a@b.example\"]\n",
            &["c.toml:1:1: [[digest]] #1 is missing `name` — add `name = …`"],
        ),
        (
            "[feeds]\nbackfil = \"14d\"\n[[feed]]\nurl = \"https://a.example/rss\"\nenabled = \"yes\"\n",
            &[
                "c.toml:2:1: unknown key `backfil` in [feeds] — did you mean `backfill`?",
                "c.toml:5:11: `enabled` in [[feed]] #1 must be true or false, not string \"yes\" — write enabled = true or enabled = false",
            ],
        ),
        (
            "x = [\n",
            &[
                "c.toml:1:6: unclosed array, expected `]` — TOML syntax error: close the list with ], as in to = [\"a@example.org\"]",
            ],
        ),
        (
            "[[rule]]\nname = \"r\"\nquery = \"chip\"\n[[digest]]\nname = \"d\"\nto = [\"a@b.example\"]\nrules = [\"rr\"]\n",
            &["c.toml:7:10: digest `d` names unknown rule `rr` — did you mean `r`?"],
        ),
    ];
    for (config, expected) in cases {
        env.write("c.toml", config);
        let out = env.run("c.toml", &["check-config"]);
        assert_eq!(out.status.code(), Some(1), "{config}: {}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let errors: Vec<&str> = stderr
            .lines()
            .filter_map(|l| l.strip_prefix("error: "))
            .map(|l| l.trim_start_matches(&*format!("{}/", env.path().display())))
            .collect();
        assert_eq!(&errors, expected, "{config}\n{stderr}");
    }
}

#[test]
fn three_mistakes_are_three_messages_in_line_order() {
    let env = Env::new();
    env.write(
        "c.toml",
        "[feeds]\ntimzone = 1\n[[feed]]\nurl = \"www.example.com/feed.xml\"\n[smtp]\nhost = \"x\"\nport = \"587\"\n[[digest]]\nname = \"d\"\nto = [\"a@b.example\"]\ntimezone = \"Asia/Shangai\"\n[mail]\ntransport = \"smpt\"\n",
    );
    let out = env.run("c.toml", &["check-config"]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let lines: Vec<usize> = stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .map(|l| l.split(':').nth(2).unwrap().parse().unwrap())
        .collect();
    assert_eq!(lines, vec![2, 4, 7, 11, 13], "{stderr}");
    assert!(stderr.contains(": 5 errors"), "{stderr}");
}

#[test]
fn transport_follows_smtp_and_contradictions_are_warnings_with_file_and_line() {
    let load = |t: &str| {
        chipwatch::config::load_from_str(
            t,
            None,
            chipwatch::config::ConfigSource::Embedded,
            ".".into(),
        )
        .unwrap()
    };
    let c = load("[smtp]\nhost = \"mail.example.net\"\n[[feed]]\npath = \"f.xml\"\n");
    assert!(matches!(
        c.mail.transport,
        chipwatch::config::Transport::Smtp(_)
    ));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let c = load("");
    assert!(matches!(
        c.mail.transport,
        chipwatch::config::Transport::File { .. }
    ));

    // The shipped file with its [smtp] table uncommented now sends via SMTP.
    let env = Env::new();
    let shipped = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/chipwatch.toml"),
    )
    .unwrap()
    .replace(
        "# [smtp]\n# host = \"mail.example.org\"",
        "[smtp]\nhost = \"mail.example.org\"",
    );
    let cfg = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let shipped = shipped
        .replace(
            "opml = \"feeds.opml\"",
            &format!("opml = {:?}", cfg.join("feeds.opml")),
        )
        .replace(
            "\"rules/semiconductor-export.toml\"",
            "\"builtin:rules/semiconductor-export.toml\"",
        );
    env.write("c.toml", &shipped);
    let out = env.run("c.toml", &["check-config"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("mail via SMTP mail.example.org:587"),
        "{}",
        text(&out)
    );

    // Contradictions: warnings naming file and line, also at start-up.
    env.write(
        "w.toml",
        "[mail]\ntransport = \"file\"\nsendmail_command = \"/usr/sbin/sendmail -t\"\n[smtp]\nhost = \"mail.example.net\"\nport = 465\ntls = \"starttls\"\n[[feed]]\npath = \"missing.xml\"\n",
    );
    let out = env.run("w.toml", &["check-config"]);
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert_eq!(warnings.len(), 3, "{stderr}");
    for (w, line) in warnings.iter().zip([
        ":2:13: [mail] transport = \"file\" while an [smtp] table",
        ":3:20: [mail] sendmail_command",
        ":6:8: [smtp] port = 465 with tls = \"starttls\"",
    ]) {
        assert!(w.contains("w.toml") && w.contains(line), "{w} lacks {line}");
    }
    let out = env.run("w.toml", &["run", "--once"]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("warning: ") && l.contains("w.toml:2:13:")),
        "{stderr}"
    );
}

#[test]
fn init_writes_a_self_contained_setup_and_never_prompts_without_a_terminal() {
    let env = Env::new();
    // No terminal (stdin is /dev/null) and no --to: a placeholder, no prompt, no hang.
    let out = env.run("", &["init", "setup"]);
    assert!(out.status.success(), "{}", text(&out));
    let s = text(&out);
    assert!(s.contains("you@example.org is a placeholder"), "{s}");
    assert!(
        !s.contains("Your mail address"),
        "prompted without a terminal: {s}"
    );
    let next: Vec<&str> = s
        .lines()
        .filter(|l| l.starts_with("  chipwatch --config"))
        .collect();
    assert_eq!(next.len(), 3, "{s}");
    let files: Vec<String> = std::fs::read_dir(env.path().join("setup"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml") || n.ends_with(".opml"))
        .collect();
    let mut files = files;
    files.sort();
    assert_eq!(files, ["chipwatch.toml", "feeds.opml"]);
    let toml = std::fs::read_to_string(env.path().join("setup/chipwatch.toml")).unwrap();
    assert!(toml.contains("[[rule]]") && toml.contains("builtin:rules/semiconductor-export.toml"));

    // Valid from another working directory, with its state inside the setup folder.
    let elsewhere = tempfile::tempdir().unwrap();
    let cfg = env.path().join("setup/chipwatch.toml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chipwatch"))
        .current_dir(elsewhere.path())
        .env_remove("CHIPWATCH_CONFIG")
        .arg("--config")
        .arg(&cfg)
        .arg("check-config")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(&format!(
        "{}",
        env.path().join("setup/state/chipwatch.db").display()
    )));

    // A second init does not overwrite; --force does.
    let out = env.run("", &["init", "setup", "--to", "me@test.example"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("--force"), "{}", text(&out));
    let out = env.run(
        "",
        &[
            "init",
            "setup",
            "--to",
            "me@test.example",
            "--force",
            "--sendmail",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("mail via sendmail"), "{}", text(&out));
}

/// The README's quick start, on loopback: init with SMTP, a test message, one poll with a
/// digest, then `digest send` with nothing left to send.
#[test]
fn quick_start_ends_with_a_digest_in_the_mailbox() {
    let feeds = FeedServer::start();
    feeds.set_feed("/bis.rss", r#"<rss version="2.0"><channel><title>BIS</title><item><guid>1</guid><title>Commerce adds 12 Chinese chip firms to the Entity List</title><description>New export controls on advanced semiconductors.</description></item></channel></rss>"#, "application/rss+xml");
    let smtp = SmtpServer::start();
    let env = Env::new();
    let smtp_arg = format!("127.0.0.1:{}", smtp.port());
    let out = env.run(
        "",
        &[
            "init",
            "cw",
            "--to",
            "me@test.example",
            "--smtp",
            &smtp_arg,
            "--smtp-tls",
            "none",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    // The user swaps the shipped feed list for their own (here: one loopback feed).
    env.write(
        "cw/feeds.opml",
        &format!(
            r#"<?xml version="1.0"?><opml version="2.0"><head/><body><outline text="BIS" xmlUrl="{}"/></body></opml>"#,
            feeds.url("/bis.rss")
        ),
    );
    // init's Federal Register sources, on loopback (one BIS rule) instead of the internet.
    feeds.set_feed(
        "/api/v1/documents.json",
        r#"{"count": 1, "total_pages": 1, "results": [{"document_number": "2026-24001", "type": "Rule",
            "title": "Additions to the Entity List", "abstract": "BIS adds entities.", "action": "Final rule.",
            "citation": "91 FR 50001", "publication_date": "2026-12-01", "effective_on": "2026-12-10",
            "html_url": "https://www.federalregister.gov/documents/2026/12/01/2026-24001/x",
            "agencies": [{"name": "Industry and Security Bureau", "slug": "industry-and-security-bureau"}]}]}"#,
        "application/json",
    );
    feeds.set_feed(
        "/api/v1/public-inspection-documents/current.json",
        r#"{"count": 0, "results": []}"#,
        "application/json",
    );
    env.write(
        "cw/chipwatch.toml",
        &std::fs::read_to_string(env.path().join("cw/chipwatch.toml"))
            .unwrap()
            .replace("backfill = \"14d\"", "backfill = \"all\"")
            .replace(
                "[[federal_register]]\n",
                &format!("[[federal_register]]\napi = {:?}\n", feeds.url("/api/v1")),
            ),
    );
    let status = env.run("cw/chipwatch.toml", &["feeds", "status"]);
    assert!(text(&status).contains("never polled"), "{}", text(&status));

    let out = env.run("cw/chipwatch.toml", &["mail", "test"]);
    assert!(out.status.success(), "{}", text(&out));
    let got = smtp.wait_for_messages(1, Duration::from_secs(10));
    assert_eq!(got[0].to, ["me@test.example"]);
    assert!(got[0].text().contains("chipwatch test message"));

    let out = env.run("cw/chipwatch.toml", &["run", "--once", "--digest-now"]);
    assert!(out.status.success(), "{}", text(&out));
    let got = smtp.wait_for_messages(2, Duration::from_secs(10));
    let digest = crate::util::decoded(&got[1].text());
    assert!(digest.contains("Entity List"), "{digest}");
    // The primary sources init writes: the digest opens with the BIS rule.
    assert!(
        digest.contains("Regulatory actions") && digest.contains("Additions to the Entity List"),
        "{digest}"
    );
    let out = env.run("cw/chipwatch.toml", &["digest", "send"]);
    assert!(out.status.success(), "{}", text(&out));
    let status = env.run("cw/chipwatch.toml", &["feeds", "status"]);
    assert!(text(&status).contains(" UTC"), "{}", text(&status));
}

#[test]
fn under_journald_a_warning_carries_priority_4() {
    let env = Env::new();
    env.write("c.toml", "[mail]\ntransport = \"file\"\n[smtp]\nhost = \"mail.example.net\"\n[[feed]]\npath = \"missing.xml\"\n");
    let out = env
        .command("c.toml", &["run", "--once"])
        .env("JOURNAL_STREAM", "8:12345")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("<4>warning: ") && l.contains("c.toml:2:13")),
        "{stderr}"
    );
    // The feed that cannot be read is logged through tracing, with its priority too.
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("<4>") && l.contains("missing.xml")),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .filter(|l| !l.is_empty())
            .all(|l| l.starts_with('<')),
        "{stderr}"
    );
}

#[test]
fn every_option_and_argument_has_help_and_exit_codes_are_documented() {
    use clap::CommandFactory;
    fn walk(c: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for a in c.get_arguments() {
            if a.get_help().is_none() && !matches!(a.get_id().as_str(), "help" | "version") {
                missing.push(format!("{path} {}", a.get_id()));
            }
        }
        for s in c.get_subcommands() {
            if s.get_about().is_none() {
                missing.push(format!("{path} {} (about)", s.get_name()));
            }
            walk(s, &format!("{path} {}", s.get_name()), missing);
        }
    }
    let mut missing = Vec::new();
    walk(&chipwatch::cli::Cli::command(), "chipwatch", &mut missing);
    assert!(missing.is_empty(), "no help text: {missing:?}");
    let env = Env::new();
    let help = text(&env.run("", &["--help"]));
    assert!(
        help.contains("Exit codes:") && help.contains("143"),
        "{help}"
    );
    let run_help = text(&env.run("", &["run", "--help"]));
    assert!(
        run_help.contains("SIGHUP") && run_help.contains("second"),
        "{run_help}"
    );
    assert!(run_help.contains("[env: CHIPWATCH_CONFIG"), "{run_help}");
}

#[test]
fn chipwatch_config_env_is_the_config_option() {
    let env = Env::new();
    env.write("c.toml", "[[feed]]\nurl = \"https://a.example/rss\"\n");
    let out = env
        .command("", &["check-config"])
        .env("CHIPWATCH_CONFIG", env.path().join("c.toml"))
        .output()
        .unwrap();
    assert!(
        text(&out).contains("c.toml: OK — 1 feed, 0 rules"),
        "{}",
        text(&out)
    );
    // An empty variable means "not set": the embedded default.
    let out = env
        .command("", &["check-config"])
        .env("CHIPWATCH_CONFIG", "")
        .output()
        .unwrap();
    assert!(text(&out).contains("embedded"), "{}", text(&out));
}

#[test]
fn a_second_sigterm_during_the_clean_stop_exits_non_zero() {
    let feeds = FeedServer::start();
    feeds.set_feed(
        "/slow.rss",
        r#"<rss version="2.0"><channel><title>s</title></channel></rss>"#,
        "application/rss+xml",
    );
    feeds.set_behaviour("/slow.rss", Behaviour::Delay { millis: 15_000 });
    let env = Env::new();
    env.write(
        "c.toml",
        &format!("[[feed]]\nurl = \"{}\"\n", feeds.url("/slow.rss")),
    );
    let mut child = env
        .command("c.toml", &["run"])
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The poll is in flight (the server holds it for 15 s) once the request has arrived.
    let t = Instant::now();
    while feeds.requests("/slow.rss").is_empty() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "feed never requested"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let kill = |sig: &str| {
        std::process::Command::new("kill")
            .args([sig, &child.id().to_string()])
            .status()
            .unwrap()
    };
    kill("-TERM");
    std::thread::sleep(Duration::from_millis(300));
    kill("-TERM");
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "daemon did not exit");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(143));
}
