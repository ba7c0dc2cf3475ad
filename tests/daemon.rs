//! The daemon as a service: serves /healthz and /metrics, refuses a second `run` on the same
//! database while read-only commands keep working, survives a SIGHUP with a broken config,
//! applies a good one, and exits 0 on SIGTERM.

use crate::common::http::FeedServer;
use crate::util::Env;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

fn get(port: u16, path: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, out)
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn signal(pid: u32, sig: &str) {
    assert!(
        std::process::Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
}

#[test]
fn daemon_health_metrics_lock_reload_and_stop() {
    let server = FeedServer::start();
    server.set_feed("/a.rss", r#"<rss version="2.0"><channel><title>a</title><item><guid>1</guid><title>New export controls on chips</title></item></channel></rss>"#, "application/rss+xml");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = Env::new();
    let good = format!(
        "[feeds]\nbackfill = \"all\"\n[[feed]]\nurl = \"{}\"\n[server]\nlisten = \"127.0.0.1:{port}\"\n[[rule]]\nname = \"ec\"\nquery = '\"export controls\"'\n",
        server.url("/a.rss")
    );
    env.write("c.toml", &good);
    let mut child = env
        .command("c.toml", &["run"])
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("/healthz", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let (code, body) = get(port, "/healthz");
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"status\":\"ok\""));
    wait_for("the first poll", || {
        get(port, "/metrics")
            .1
            .contains("chipwatch_polls_total{outcome=\"modified\"} 1")
    });
    let (_, metrics) = get(port, "/metrics");
    assert!(
        metrics.contains("chipwatch_matches_total{rule=\"ec\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("chipwatch_entries_stored_total 1"),
        "{metrics}"
    );

    // A second daemon on the same database refuses; read-only commands work alongside.
    let second = env.run("c.toml", &["run"]);
    assert!(!second.status.success());
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("already"),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let status = env.run("c.toml", &["feeds", "status", "--json"]);
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );

    // SIGHUP with a broken config: logged, old config kept, still healthy.
    env.write("c.toml", "[feeds\nbroken");
    signal(child.id(), "-HUP");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "daemon must survive a bad reload"
    );
    assert_eq!(get(port, "/healthz").0, 200);

    // SIGHUP with a valid config that adds a feed: applied without restart, the new feed is polled.
    server.set_feed("/b.rss", r#"<rss version="2.0"><channel><title>b</title><item><guid>b1</guid><title>Entity List grows</title></item></channel></rss>"#, "application/rss+xml");
    env.write(
        "c.toml",
        &format!("{good}[[feed]]\nurl = \"{}\"\n", server.url("/b.rss")),
    );
    signal(child.id(), "-HUP");
    wait_for("the added feed", || server.hits("/b.rss").ok == 1);
    assert!(child.try_wait().unwrap().is_none());

    // SIGTERM: clean exit 0.
    signal(child.id(), "-TERM");
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(t.elapsed() < Duration::from_secs(25), "daemon did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status:?}");
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(
        log.contains("invalid configuration; keeping the old one"),
        "{log}"
    );
    assert!(log.contains("stopped"), "{log}");
    assert!(log.contains("configuration reloaded"), "{log}");
}

#[test]
fn a_black_holed_mail_server_does_not_starve_the_watchdog() {
    use std::os::unix::net::UnixDatagram;
    let server = FeedServer::start();
    server.set_feed("/a.rss", r#"<rss version="2.0"><channel><title>a</title><item><guid>1</guid><title>New export controls on chips</title></item></channel></rss>"#, "application/rss+xml");
    // Accepts connections and never says a word.
    let hole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hole_port = hole.local_addr().unwrap().port();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in hole.incoming().flatten() {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(s);
        }
    });
    let env = Env::new();
    let sock_path = env.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    env.write(
        "c.toml",
        &format!(
            "[feeds]\nbackfill = \"all\"\n[[feed]]\nurl = \"{}\"\n[smtp]\nhost = \"127.0.0.1\"\nport = {hole_port}\ntls = \"none\"\ntimeout = \"10s\"\n\
             [[rule]]\nname = \"ec\"\nquery = '\"export controls\"'\npriority = \"alert\"\n[[digest]]\nname = \"d\"\nto = [\"a@example.org\"]\n",
            server.url("/a.rss")
        ),
    );
    let mut child = env
        .command("c.toml", &["run"])
        .env("NOTIFY_SOCKET", &sock_path)
        .env("WATCHDOG_USEC", "3000000")
        .env_remove("WATCHDOG_PID")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut pings = Vec::new();
    let mut buf = [0u8; 4096];
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(12) {
        if let Ok(n) = sock.recv(&mut buf)
            && String::from_utf8_lossy(&buf[..n]).contains("WATCHDOG=1")
        {
            pings.push(start.elapsed());
        }
    }
    signal(child.id(), "-KILL");
    let _ = child.wait();
    assert!(
        accepted.load(std::sync::atomic::Ordering::SeqCst) >= 1,
        "the alert went to the black hole"
    );
    assert!(pings.len() >= 5, "{pings:?}");
    let worst = pings
        .windows(2)
        .map(|w| w[1] - w[0])
        .max()
        .unwrap_or_default();
    assert!(
        worst < Duration::from_millis(2900),
        "watchdog pings stalled for {worst:?} while mail hung: {pings:?}"
    );
}
