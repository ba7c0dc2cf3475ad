//! Disk full (simulated with RLIMIT_FSIZE, which makes writes fail like a full disk) and an
//! unusable state directory: a clear error, exit ≠ 0 where it is fatal, and no corruption —
//! the next normal run carries on from a consistent database.

use crate::common::http::FeedServer;
use crate::util::{Env, n};

fn big_feed(count: usize) -> String {
    let mut s = String::from("<rss version=\"2.0\"><channel><title>big</title>");
    for i in 0..count {
        s.push_str(&format!(
            "<item><guid>{i}</guid><title>Item {i} on export controls</title><link>https://d.example/{i}</link><description>{}</description></item>",
            "Long text about chips and rules. ".repeat(60)
        ));
    }
    s + "</channel></rss>"
}

#[test]
fn disk_full_gives_a_clear_error_and_no_corruption() {
    let server = FeedServer::start();
    server.set_feed("/big.rss", big_feed(400), "application/rss+xml");
    let env = Env::new();
    env.write(
        "c.toml",
        &format!("[feeds]\nbackfill = \"all\"\n[[feed]]\nurl = \"{}\"\n[[rule]]\nname = \"ec\"\nquery = '\"export controls\"'\n", server.url("/big.rss")),
    );
    // First a small database exists (schema, feed row).
    let out = env.run("c.toml", &["check-config"]);
    assert!(out.status.success());
    // Now the "disk" fills up at 256 KiB: the poll's transaction cannot be written.
    let bin = env!("CARGO_BIN_EXE_chipwatch");
    let cfg = env.path().join("c.toml");
    let out = std::process::Command::new("sh")
        .current_dir(env.path())
        .env("RUST_LOG", "warn")
        .env_remove("STATE_DIRECTORY")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f 256; exec '{bin}' --config '{}' run --once --json",
            cfg.display()
        ))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "unrecorded polls must fail the run: {stderr}"
    );
    assert!(
        stderr.contains("database")
            || stderr.contains("disk")
            || stderr.contains("full")
            || stderr.contains("large"),
        "the failure must be explained: {stderr}"
    );
    // Whatever was committed is consistent, and the next run (disk space back) stores everything once.
    let db = env.path().join("chipwatch-state/chipwatch.db");
    if db.exists() {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let ok: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
    }
    let s = env.once("c.toml", &[]);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (entries, distinct): (i64, i64) = conn
        .query_row(
            "SELECT COUNT(*), COUNT(DISTINCT key) FROM entries",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (entries, distinct),
        (400, 400),
        "every entry once after recovery: {s}"
    );
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let _ = n(&s, "feeds");
}

#[test]
fn unusable_state_directory_is_a_clear_startup_error() {
    let env = Env::new();
    // The state directory path is taken by a plain file: nothing can be created under it.
    env.write("state-is-a-file", "x");
    env.write(
        "c.toml",
        "[store]\npath = \"../state-is-a-file/db/chipwatch.db\"\n",
    );
    let out = env.run("c.toml", &["run", "--once"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("state-is-a-file"),
        "the message names the path: {err}"
    );
}
