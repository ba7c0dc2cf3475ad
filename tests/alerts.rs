//! Immediate alerts: `priority = "alert"` matches are mailed in the same cycle, not repeated
//! in the next digest; quiet hours and the hourly cap hold them (never drop them).

use crate::common::http::FeedServer;
use crate::common::smtp::{SmtpServer, smtp_toml};
use crate::util::{Env, decoded, n};

fn feed(items: &[(&str, &str)]) -> String {
    let mut s = String::from("<rss version=\"2.0\"><channel><title>w</title>");
    for (guid, title) in items {
        s.push_str(&format!("<item><guid>{guid}</guid><title>{title}</title><link>https://w.example/{guid}</link></item>"));
    }
    s + "</channel></rss>"
}

fn config(server: &FeedServer, smtp: u16, extra: &str) -> String {
    format!(
        "[feeds]\nbackfill = \"all\"\n[[feed]]\nurl = \"{}\"\n{}\
         [[rule]]\nname = \"entity\"\nquery = '\"Entity List\"'\npriority = \"alert\"\n\
         [[rule]]\nname = \"controls\"\nquery = '\"export controls\"'\n\
         [[digest]]\nname = \"daily\"\nto = [\"a@test.example\"]\nschedule = \"daily at 08:00\"\n{extra}",
        server.url("/w.rss"),
        smtp_toml(smtp)
    )
}

#[test]
fn alerts_go_out_at_once_and_are_not_repeated_in_the_digest() {
    let server = FeedServer::start();
    let smtp = SmtpServer::start();
    server.set_feed(
        "/w.rss",
        feed(&[
            ("1", "US adds chipmakers to the Entity List"),
            ("2", "Japan widens export controls"),
        ]),
        "application/rss+xml",
    );
    let env = Env::new();
    env.write("c.toml", &config(&server, smtp.port(), ""));
    // A normal cycle (the digest is not due): the alert story goes out at once, counted as an
    // alert (issue 14: alerts are a kind of their own in the counters).
    let s = env.once("c.toml", &[]);
    assert_eq!(
        (
            n(&s, "digests_created"),
            n(&s, "digests_sent"),
            n(&s, "alerts_sent")
        ),
        (1, 0, 1),
        "{s}"
    );
    let msgs = smtp.messages();
    let alert = decoded(&String::from_utf8_lossy(&msgs[0].data));
    assert!(
        String::from_utf8_lossy(&msgs[0].data).contains("Subject: chipwatch alert (daily): 1 new")
    );
    assert!(
        alert.contains("US adds chipmakers to the Entity List") && !alert.contains("Japan widens"),
        "{alert}"
    );
    // The digest carries the rest, not the alerted story again.
    let s = env.once("c.toml", &["--digest-now"]);
    assert_eq!(n(&s, "digests_sent"), 1, "{s}");
    // `digest history` tells alerts from digests.
    let out = env.run("c.toml", &["digest", "history", "--json"]);
    let h: serde_json::Value = serde_json::from_slice(&out.stdout).expect("history");
    let kinds: Vec<&str> = h
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["digest", "alert"], "{h}");
    let out = env.run("c.toml", &["digest", "history"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains(" alert "));
    let digest = decoded(&String::from_utf8_lossy(&smtp.messages()[1].data));
    assert!(
        digest.contains("Japan widens export controls") && !digest.contains("Entity List"),
        "{digest}"
    );
}

#[test]
fn quiet_hours_and_the_rate_cap_hold_alerts_without_dropping_them() {
    let server = FeedServer::start();
    let smtp = SmtpServer::start();
    server.set_feed(
        "/w.rss",
        feed(&[("1", "First Entity List action")]),
        "application/rss+xml",
    );
    let env = Env::new();
    // Quiet all day: nothing is alerted; the story waits for the digest.
    env.write(
        "c.toml",
        &config(&server, smtp.port(), "quiet_hours = \"00:00-23:59\"\n"),
    );
    let s = env.once("c.toml", &[]);
    assert_eq!(n(&s, "digests_sent") + n(&s, "alerts_sent"), 0, "{s}");
    // Rate cap of one alert an hour: the first goes, the second is held.
    env.write(
        "c.toml",
        &config(&server, smtp.port(), "alerts_per_hour = 1\n"),
    );
    let s = env.once("c.toml", &[]);
    assert_eq!(n(&s, "alerts_sent"), 1, "{s}");
    server.set_feed(
        "/w.rss",
        feed(&[
            ("1", "First Entity List action"),
            ("2", "Second Entity List action"),
        ]),
        "application/rss+xml",
    );
    let s = env.once("c.toml", &[]);
    assert_eq!(
        (
            n(&s, "entries_new"),
            n(&s, "digests_sent"),
            n(&s, "alerts_sent")
        ),
        (1, 0, 0),
        "held by the cap: {s}"
    );
    // Held, not dropped: the next digest carries it.
    let s = env.once("c.toml", &["--digest-now"]);
    assert_eq!(n(&s, "digests_sent"), 1, "{s}");
    let last = decoded(&String::from_utf8_lossy(
        &smtp.messages().last().unwrap().data,
    ));
    assert!(
        last.contains("Second Entity List action") && !last.contains("First Entity List action"),
        "{last}"
    );
}

#[test]
fn the_daemon_alerts_once_per_new_match_and_stays_quiet_in_between() {
    // A running daemon looks for alerts when a poll stored new matches (and at start), not on
    // every idle turn of its loop; each new alert-rule match is mailed once.
    let server = FeedServer::start();
    let smtp = SmtpServer::start();
    server.set_feed(
        "/w.rss",
        feed(&[("1", "US adds chipmakers to the Entity List")]),
        "application/rss+xml",
    );
    let env = Env::new();
    let mut c = config(&server, smtp.port(), "");
    c = c.replacen(
        "[feeds]\n",
        "[feeds]\nmin_interval = \"1s\"\ninterval = \"1s\"\n",
        1,
    );
    env.write("c.toml", &c);
    let mut child = env.command("c.toml", &["run"]).spawn().unwrap();
    let wait_for = |count: usize| {
        let t = std::time::Instant::now();
        while smtp.messages().len() < count {
            assert!(
                t.elapsed() < std::time::Duration::from_secs(30),
                "timed out waiting for alert {count}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    wait_for(1);
    server.set_feed(
        "/w.rss",
        feed(&[
            ("2", "Entity List grows by nine firms"),
            ("1", "US adds chipmakers to the Entity List"),
        ]),
        "application/rss+xml",
    );
    wait_for(2);
    let second = decoded(&String::from_utf8_lossy(&smtp.messages()[1].data));
    assert!(
        second.contains("Entity List grows by nine firms") && !second.contains("US adds"),
        "{second}"
    );
    // More polls (the feed is polled every few seconds), nothing new: nothing more is sent.
    std::thread::sleep(std::time::Duration::from_secs(8));
    assert_eq!(smtp.messages().len(), 2);
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(child.wait().unwrap().success());
}
