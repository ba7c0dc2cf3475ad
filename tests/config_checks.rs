//! `check-config`: the shipped configurations validate; mistakes give a non-zero exit and a
//! message naming the file, the line and the problem.

use crate::util::Env;

fn check(env: &Env, config: &str) -> (bool, String) {
    let out = env.run(config, &["check-config"]);
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn shipped_configs_validate() {
    let env = Env::new();
    for c in ["config/chipwatch.toml", "config/demo.toml"] {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(c);
        let out = env.run("", &["--config", p.to_str().unwrap_or(""), "check-config"]);
        assert!(
            out.status.success(),
            "{c}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The embedded default.
    let out = env.run("", &["check-config"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("embedded"));
}

#[test]
fn mistakes_name_file_line_and_problem() {
    let env = Env::new();
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "[store]\npath = \"x.db\"\nbogus = 1\n",
            "unknown key",
            &["c.toml:3:1:", "unknown key `bogus` in [store]"],
        ),
        (
            "[[feed]]\nname = \"x\"\nurl = \"not a url\"\n",
            "bad URL",
            &["c.toml:3:", "bad feed URL"],
        ),
        (
            "[[rule]]\nname = \"r\"\nquery = '(export controls'\n",
            "bad rule",
            &["c.toml:3", "rule `r`", "^"],
        ),
        (
            "[feeds]\nopml = \"missing.opml\"\n",
            "unreadable OPML",
            &["c.toml:2", "missing.opml"],
        ),
        (
            "[feeds]\nopml = \"bad.opml\"\n",
            "malformed OPML",
            &["bad.opml", "OPML"],
        ),
        (
            "[[digest]]\nname = \"d\"\nto = [\"a@b.example\"]\ntimezone = \"Mars/Base\"\n",
            "bad timezone",
            &["c.toml:4", "time zone"],
        ),
        (
            "[[digest]]\nname = \"d\"\nto = [\"a@b.example\"]\nschedule = \"every 7h\"\n",
            "bad schedule",
            &["c.toml:4", "every"],
        ),
        (
            "[mail]\ntransport = \"pigeon\"\n",
            "bad transport",
            &["c.toml:2", "pigeon"],
        ),
        (
            "[feeds]\nbackfill = \"sometimes\"\n",
            "bad duration",
            &["c.toml:2", "backfill"],
        ),
        (
            "[feeds]\nmin_interval = \"5m\"\nsilent_after = \"3 fortnights\"\n",
            "bad silent_after",
            &["c.toml:3", "silent_after", "\"off\""],
        ),
        (
            "[mail]\nunsubscribe = \"ftp://x.example/\"\n",
            "bad unsubscribe",
            &["c.toml:2", "unsubscribe"],
        ),
    ];
    env.write("bad.opml", "<html><body>not opml</body></html>");
    for (text, what, expect) in cases {
        env.write("c.toml", text);
        let (ok, msg) = check(&env, "c.toml");
        assert!(!ok, "{what}: expected failure, got: {msg}");
        for e in *expect {
            assert!(msg.contains(e), "{what}: message lacks {e:?}: {msg}");
        }
    }
}

#[test]
fn relative_paths_resolve_against_the_config_file() {
    let env = Env::new();
    env.write("sub/feeds.opml", r#"<?xml version="1.0"?><opml version="2.0"><head/><body><outline text="Gov"><outline text="BIS" xmlUrl="https://bis.example/rss"/></outline></body></opml>"#);
    env.write("sub/rules/p.toml", "version = \"t1\"\n[terms]\nchips = [\"chip\", \"芯片\"]\n[[rule]]\nname = \"p\"\nquery = '\"export controls\" @chips'\n");
    env.write(
        "sub/c.toml",
        "[feeds]\nopml = \"feeds.opml\"\n[rules]\ninclude = [\"rules/p.toml\"]\n",
    );
    let (ok, msg) = check(&env, "sub/c.toml");
    assert!(ok, "{msg}");
    assert!(msg.contains("1 feed,") && msg.contains("1 rule ("), "{msg}");
}

#[test]
fn silent_after_defaults_to_3_days_and_can_be_turned_off() {
    let load = |text: &str| {
        chipwatch::config::load_from_str(
            text,
            None,
            chipwatch::config::ConfigSource::Embedded,
            std::path::PathBuf::from("."),
        )
        .unwrap()
        .silent_after_secs()
    };
    assert_eq!(load(""), Some(3 * 86_400));
    assert_eq!(load("[feeds]\nsilent_after = \"36h\"\n"), Some(36 * 3600));
    assert_eq!(load("[feeds]\nsilent_after = \"off\"\n"), None);
    assert_eq!(load("[feeds]\nsilent_after = \"0d\"\n"), None);
}
