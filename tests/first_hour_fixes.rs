//! The first hour, after the new-user review: `init` checks every flag before writing (and
//! takes back what it wrote when the result does not validate), writes the primary sources,
//! warns about the empty password file; check-config catches a port in `[smtp] host`, sorts
//! warnings by line, warns about a config without feeds, hints for syntax errors and "CST";
//! the README's config-error example is the real output; counted nouns; help texts.

use crate::common::http::FeedServer;
use crate::util::Env;

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn init_with_a_typo_writes_nothing_and_the_corrected_command_works() {
    let env = Env::new();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--to", "a@b.test", "--timezone", "Asia/Shangai"],
            "error: --timezone \"Asia/Shangai\": unknown time zone — did you mean \"Asia/Shanghai\"?",
        ),
        (
            &["--to", "a@b.test", "--timezone", "CST"],
            "error: --timezone \"CST\": unknown time zone — did you mean \"Asia/Shanghai\" or \"America/Chicago\"?",
        ),
        (
            &["--to", "nobody"],
            "error: --to \"nobody\": not a mail address",
        ),
        (
            &["--to", "a@b.test", "--smtp", "127.0.0.1:99999"],
            "error: --smtp \"127.0.0.1:99999\": port must be 1–65535",
        ),
        (
            &["--to", "a@b.test", "--smtp", "host:58x"],
            "error: --smtp \"host:58x\": \"58x\" is not a port",
        ),
    ];
    for (flags, want) in cases {
        let mut args = vec!["init", "i2"];
        args.extend_from_slice(flags);
        let out = env.run("", &args);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {}", text(&out));
        let err = stderr(&out);
        assert!(err.lines().any(|l| l.starts_with(want)), "{flags:?}: {err}");
        assert!(!err.contains("please report"), "{err}");
        assert!(!env.path().join("i2").exists(), "{flags:?} wrote something");
    }
    // Several mistakes: all of them, in one run.
    let out = env.run(
        "",
        &["init", "i2", "--to", "nobody", "--timezone", "Europe/Berln"],
    );
    assert_eq!(stderr(&out).matches("error: ").count(), 2, "{}", text(&out));
    let out = env.run(
        "",
        &[
            "init",
            "i2",
            "--to",
            "a@b.test",
            "--timezone",
            "Asia/Shanghai",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let toml = std::fs::read_to_string(env.path().join("i2/chipwatch.toml")).unwrap();
    assert!(toml.contains("timezone = \"Asia/Shanghai\""), "{toml}");
}

#[test]
fn init_takes_back_what_it_wrote_when_the_result_does_not_validate() {
    let env = Env::new();
    // systemd credentials win over the file next to the config: a folder there cannot be read.
    std::fs::create_dir_all(env.path().join("creds/smtp-password")).unwrap();
    let init = |extra: &[&str], creds: bool| {
        let mut args = vec![
            "init",
            "cw",
            "--to",
            "a@b.test",
            "--smtp",
            "127.0.0.1:2525",
            "--smtp-user",
            "me",
        ];
        args.extend_from_slice(extra);
        let mut cmd = env.command("", &args);
        if creds {
            cmd.env("CREDENTIALS_DIRECTORY", env.path().join("creds"));
        } else {
            cmd.env_remove("CREDENTIALS_DIRECTORY");
        }
        cmd.output().unwrap()
    };
    let out = init(&[], true);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stderr(&out).contains("does not validate") && stderr(&out).contains("init removed"),
        "{}",
        text(&out)
    );
    assert!(!stderr(&out).contains("please report"), "{}", text(&out));
    assert!(
        !env.path().join("cw").exists(),
        "left behind: {}",
        text(&out)
    );
    // The re-run is not refused with "exists already".
    let out = init(&[], false);
    assert!(out.status.success(), "{}", text(&out));
    // --force over a working setup that then fails: the old files come back unchanged.
    let before = std::fs::read(env.path().join("cw/chipwatch.toml")).unwrap();
    let out = init(&["--force", "--timezone", "Europe/Berlin"], true);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(
        std::fs::read(env.path().join("cw/chipwatch.toml")).unwrap(),
        before
    );
    assert!(env.path().join("cw/smtp-password").exists());
}

#[test]
fn init_writes_the_primary_sources_and_the_screening_list_is_one_uncomment_away() {
    let env = Env::new();
    let out = env.run("", &["init", "s", "--to", "a@b.test"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("checked: 29 feeds, 3 primary sources, "),
        "{}",
        text(&out)
    );
    let toml = std::fs::read_to_string(env.path().join("s/chipwatch.toml")).unwrap();
    for want in [
        "[[federal_register]]\nname = \"BIS rules\"",
        "report = \"all\"",
        "[[federal_register]]\nname = \"BIS notices\"",
        "report = \"matching\"",
        "# [[screening_list]]",
        "# max_body = \"48MiB\"",
    ] {
        assert!(toml.contains(want), "missing {want:?} in\n{toml}");
    }
    // Uncommenting the screening list and [http] gives a valid config with one more source.
    let mut on = String::new();
    let mut inside = false;
    for line in toml.lines() {
        inside |= line == "# [[screening_list]]";
        if inside && (line.starts_with("# ") || line == "#") {
            on.push_str(line.trim_start_matches('#').trim_start());
        } else {
            inside = false;
            on.push_str(line);
        }
        on.push('\n');
    }
    env.write("s/chipwatch.toml", &on);
    let out = env.run("s/chipwatch.toml", &["check-config"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("OK — 29 feeds, 4 primary sources"),
        "{}",
        text(&out)
    );
}

#[test]
fn an_empty_password_file_is_a_warning_in_init_check_config_and_at_start_up() {
    let env = Env::new();
    let out = env.run(
        "",
        &[
            "init",
            "p",
            "--to",
            "a@b.test",
            "--smtp",
            "127.0.0.1:2525",
            "--smtp-user",
            "me",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let pw = env.path().join("p/smtp-password");
    let want = format!("password file {} is empty", pw.display());
    assert!(
        text(&out).lines().any(|l| l.starts_with("warning: ")
            && l.contains("chipwatch.toml:")
            && l.contains(&want)),
        "{}",
        text(&out)
    );
    let out = env.run("p/chipwatch.toml", &["check-config"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(stderr(&out).contains(&want), "{}", text(&out));
    std::fs::write(&pw, "secret\n").unwrap();
    let out = env.run("p/chipwatch.toml", &["check-config"]);
    assert!(!text(&out).contains("is empty"), "{}", text(&out));

    // At start-up too (a local feed file, so nothing leaves the machine).
    env.write("e.pw", "\n");
    env.write(
        "c.toml",
        "[smtp]\nhost = \"127.0.0.1\"\nport = 1\nusername = \"me\"\npassword_file = \"e.pw\"\n[[feed]]\npath = \"missing.xml\"\n",
    );
    let out = env.run("c.toml", &["run", "--once"]);
    assert!(
        stderr(&out).lines().any(|l| l.starts_with("warning: ")
            && l.contains("c.toml:5:17:")
            && l.contains("is empty")),
        "{}",
        text(&out)
    );
}

#[test]
fn check_config_hints_ports_zones_syntax_and_sorts_warnings() {
    let env = Env::new();
    let errors = |config: &str| {
        env.write("c.toml", config);
        let out = env.run("c.toml", &["check-config"]);
        assert_eq!(out.status.code(), Some(1), "{config}: {}", text(&out));
        stderr(&out)
            .lines()
            .filter_map(|l| l.strip_prefix("error: "))
            .map(|l| {
                l.trim_start_matches(&*format!("{}/", env.path().display()))
                    .to_string()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        errors("[smtp]\nhost = \"smtp.example.org:587\"\n"),
        [
            "c.toml:2:8: [smtp] host = \"smtp.example.org:587\" contains a port — write host = \"smtp.example.org\" and put the port in port = 587 (a number, no quotes)"
        ]
    );
    assert!(errors("[smtp]\nhost = \"host:58x\"\n")[0].contains("put the port in port = …"),);
    assert_eq!(
        errors("[[digest]]\nname = \"d\"\nto = [\"a@b.example\"]\ntimezone = \"CST\"\n"),
        [
            "c.toml:4:12: digest `d`: unknown time zone \"CST\" — did you mean \"Asia/Shanghai\" or \"America/Chicago\"?"
        ]
    );
    assert_eq!(
        errors("name = \"x\ntimezone = \"Asia/Shangai\"\n"),
        [
            "c.toml:1:10: invalid basic string, expected `\"` — TOML syntax error: close the string with \" on the same line (text over several lines goes in \"\"\"…\"\"\")"
        ]
    );

    // Warnings in line order (the password warning is found before the port's).
    env.write("pw", "x\n");
    env.write(
        "w.toml",
        "[smtp]\nhost = \"h.example\"\npassword_file = \"pw\"\nport = 465\ntls = \"starttls\"\n[[feed]]\npath = \"f.xml\"\n",
    );
    let out = env.run("w.toml", &["check-config"]);
    let lines: Vec<String> = stderr(&out)
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .map(|l| l.split(':').nth(2).unwrap().to_string())
        .collect();
    assert_eq!(lines, ["2", "4"], "{}", text(&out));
    assert!(text(&out).contains("2 warnings"), "{}", text(&out));

    // An empty file works, but is worth a word.
    env.write("e.toml", "");
    let out = env.run("e.toml", &["check-config"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stderr(&out)
            .lines()
            .any(|l| l.starts_with("warning: ") && l.contains("e.toml: no feeds configured")),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("1 warning\n"), "{}", text(&out));
}

/// The block after "`five.toml`:" in the README, and the output block after it.
fn readme_blocks() -> (String, String) {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let at = readme
        .find("A configuration with five mistakes")
        .expect("README example");
    let rest = &readme[at..];
    let block = |s: &str, fence: &str| -> (String, usize) {
        let start = s.find(fence).expect("fence") + fence.len();
        let end = start + s[start..].find("\n```").expect("end fence");
        (s[start..end + 1].to_string(), end + 4)
    };
    let (toml, next) = block(rest, "```toml\n");
    let (output, _) = block(&rest[next..], "```\n");
    (toml, output)
}

#[test]
fn the_readme_config_error_example_is_the_real_output() {
    let (toml, output) = readme_blocks();
    let env = Env::new();
    env.write("five.toml", &toml);
    let (command, expected) = output.split_once('\n').unwrap();
    assert_eq!(command, "$ chipwatch --config five.toml check-config");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chipwatch"))
        .current_dir(env.path())
        .env_remove("CHIPWATCH_CONFIG")
        .args(["--config", "five.toml", "check-config"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        expected,
        "README.md differs from the real output"
    );
    assert_eq!(expected.matches("error: ").count(), 5);
}

#[test]
fn counts_read_1_feed_1_new_entry_1_new_match() {
    let feeds = FeedServer::start();
    feeds.set_feed(
        "/one.rss",
        r#"<rss version="2.0"><channel><title>One</title><item><guid>1</guid><title>New export controls on chips</title></item></channel></rss>"#,
        "application/rss+xml",
    );
    let env = Env::new();
    env.write(
        "c.toml",
        &format!(
            "[feeds]\nbackfill = \"all\"\n[[feed]]\nurl = \"{}\"\n[[rule]]\nname = \"ec\"\nquery = '\"export controls\"'\n",
            feeds.url("/one.rss")
        ),
    );
    let out = env.run("c.toml", &["check-config"]);
    assert!(
        text(&out).contains("OK — 1 feed, 1 rule (1 term), 1 digest profile"),
        "{}",
        text(&out)
    );
    let out = env.run("c.toml", &["run", "--once"]);
    assert!(out.status.success(), "{}", text(&out));
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        line.starts_with("1 feed: 1 polled (1 new content, 0 unchanged, 0 not modified, 0 errors); 1 new entry, 1 new match (entry × rule pair); "),
        "{line}"
    );

    env.write(
        "in.opml",
        &format!(
            r#"<?xml version="1.0"?><opml version="2.0"><head/><body><outline text="Two" xmlUrl="{}"/></body></opml>"#,
            feeds.url("/two.rss")
        ),
    );
    env.write(
        "mine.opml",
        r#"<?xml version="1.0"?><opml version="2.0"><head/><body/></opml>"#,
    );
    env.write("o.toml", "[feeds]\nopml = \"mine.opml\"\n");
    let out = env.run("o.toml", &["feeds", "import-opml", "in.opml"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("1 feed added to "),
        "{}",
        text(&out)
    );
}

#[test]
fn help_texts_say_what_the_commands_do() {
    let env = Env::new();
    let help = |args: &[&str]| text(&env.run("", args));
    let init = help(&["init", "--help"]);
    assert!(init.contains("init ignores --config"), "{init}");
    let send = help(&["digest", "send", "--help"]);
    for want in ["every pending delivery", "channel", "backoff", "Exit code"] {
        assert!(send.contains(want), "{want:?} missing in {send}");
    }
    let history = help(&["digest", "history", "--help"]);
    assert!(history.contains("one JSON array"), "{history}");
}
