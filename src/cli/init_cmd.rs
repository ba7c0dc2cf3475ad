//! `chipwatch init [DIR]`: writes a self-contained starter setup — `DIR/chipwatch.toml`
//! (commented; absolute state paths, so it works from any working directory; the shipped BIS
//! Federal Register sources, the screening list commented out), `DIR/feeds.opml` and a sample
//! `[[rule]]`, with the shipped rule pack referenced as `builtin:` so it updates with the
//! binary. Asks for the user's address only on a terminal; checks every flag before writing
//! ([`super::init_check`]), checks the result (taking back what it wrote if that fails) and
//! prints the next three commands.

use super::init_check::{self, Flags, SmtpServer};
use crate::config::{Config, ConfigSource, EMBEDDED};
use anyhow::Context;
use clap::Args;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Folder to create for the setup (config, feeds.opml, state).
    #[arg(value_name = "DIR", default_value = "chipwatch")]
    pub dir: PathBuf,
    /// Your mail address: digests go there (asked on a terminal; else a placeholder is written).
    #[arg(long, value_name = "ADDRESS")]
    pub to: Option<String>,
    /// Sender address of the digests.
    #[arg(
        long,
        value_name = "ADDRESS",
        default_value = "chipwatch <chipwatch@localhost>"
    )]
    pub from: String,
    /// Send through this SMTP submission server (port 587 with STARTTLS unless given; 465:
    /// implicit TLS; 25: none).
    #[arg(long, value_name = "HOST[:PORT]", conflicts_with = "sendmail")]
    pub smtp: Option<String>,
    /// TLS with the SMTP server (default from the port: 465 tls; 25, 1025, 2525 none; else
    /// starttls).
    #[arg(long, value_name = "MODE", requires = "smtp", value_parser = ["starttls", "tls", "none"])]
    pub smtp_tls: Option<String>,
    /// SMTP user name; the password is read from DIR/smtp-password (created empty, mode 600).
    #[arg(long, value_name = "NAME", requires = "smtp")]
    pub smtp_user: Option<String>,
    /// Send through the local sendmail command (Postfix, Exim, msmtp …).
    #[arg(long)]
    pub sendmail: bool,
    /// Time zone of the daily digest (IANA name; default: the system's zone, else UTC).
    #[arg(long, value_name = "ZONE")]
    pub timezone: Option<String>,
    /// Overwrite DIR/chipwatch.toml and DIR/feeds.opml if they exist.
    #[arg(long)]
    pub force: bool,
}

/// The placeholder written when no address is given and there is no terminal to ask.
const PLACEHOLDER: &str = "you@example.org";

pub fn run(a: &InitArgs) -> anyhow::Result<i32> {
    let dir = crate::config::absolute(&a.dir);
    let config_path = dir.join("chipwatch.toml");
    if config_path.exists() && !a.force {
        anyhow::bail!(
            "{} exists already — edit it, choose another DIR, or add --force to overwrite",
            config_path.display()
        );
    }
    let to = match &a.to {
        Some(t) => t.clone(),
        None if std::io::stdin().is_terminal() => {
            ask("Your mail address (digests go there)")?.unwrap_or_else(|| PLACEHOLDER.to_string())
        }
        None => PLACEHOLDER.to_string(),
    };
    let timezone = a.timezone.clone().unwrap_or_else(system_zone);
    // Every flag is checked before anything is written: a typo leaves nothing behind.
    let flags = Flags {
        to: &to,
        from: &a.from,
        timezone: &timezone,
        smtp: a.smtp.as_deref(),
        smtp_user: a.smtp_user.as_deref(),
    };
    let smtp = match init_check::check(&flags) {
        Ok(s) => s,
        Err(problems) => {
            for p in &problems {
                eprintln!("error: {p}");
            }
            eprintln!("nothing was written to {}", dir.display());
            return Ok(2);
        }
    };
    let mut undo = Undo::before(&dir, &[&config_path, &dir.join("feeds.opml")]);
    let written = write_setup(a, &dir, smtp.as_ref(), &to, &timezone, &mut undo);
    let source = ConfigSource::File(config_path.clone());
    let config = written.and_then(|()| {
        Config::load(&source).map_err(|e| {
            anyhow::anyhow!(
                "the written configuration does not validate:\n{}",
                e.problems().join("\n")
            )
        })
    });
    let config = match config {
        Ok(c) => c,
        Err(e) => {
            undo.undo();
            return Err(e.context(format!(
                "init removed what it wrote in {} (a file it replaced is restored)",
                dir.display()
            )));
        }
    };
    println!(
        "wrote {} and {}",
        config_path.display(),
        dir.join("feeds.opml").display()
    );
    for w in &config.warnings {
        println!("warning: {w}");
    }
    println!(
        "checked: {}, {}, digest \"daily\" to {to} at 08:00 {timezone}, mail via {}",
        super::describe_sources(&config),
        crate::words::count(config.rules.rules().len(), "rule", "rules"),
        super::describe_transport(&config)
    );
    if to == PLACEHOLDER {
        println!(
            "note: {to} is a placeholder: put your address in `to` (or run init again with --to)"
        );
    }
    let c = shell_quote(&config_path);
    println!(
        "\nnext:\n  chipwatch --config {c} mail test                 # a test message to you\n  chipwatch --config {c} run --once --digest-now    # poll all feeds once and send a digest now\n  chipwatch --config {c} run                        # the daemon (Ctrl-C stops it)"
    );
    Ok(0)
}

/// Writes DIR/feeds.opml, DIR/smtp-password (with --smtp-user, if missing) and
/// DIR/chipwatch.toml, recording each in `undo`.
fn write_setup(
    a: &InitArgs,
    dir: &Path,
    smtp: Option<&SmtpServer>,
    to: &str,
    timezone: &str,
    undo: &mut Undo,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let opml = EMBEDDED
        .iter()
        .find(|(n, _)| *n == "feeds.opml")
        .map_or("", |(_, t)| *t);
    write(&dir.join("feeds.opml"), opml)?;
    let password = dir.join("smtp-password");
    if a.smtp_user.is_some() && !password.exists() {
        password_file(&password)?;
        undo.created.push(password);
    }
    write(
        &dir.join("chipwatch.toml"),
        &config_text(a, dir, smtp, to, timezone),
    )
}

/// What `init` changed, to take back when the result does not validate: files it created are
/// removed, files it replaced (--force) get their old content back, a folder it created goes.
struct Undo {
    /// Files that existed before, with their content.
    replaced: Vec<(PathBuf, Vec<u8>)>,
    /// Files (and, last, the folder) that did not exist before.
    created: Vec<PathBuf>,
    created_dir: Option<PathBuf>,
}

impl Undo {
    fn before(dir: &Path, files: &[&Path]) -> Undo {
        let mut u = Undo {
            replaced: Vec::new(),
            created: Vec::new(),
            created_dir: (!dir.exists()).then(|| dir.to_path_buf()),
        };
        for f in files {
            match std::fs::read(f) {
                Ok(old) => u.replaced.push((f.to_path_buf(), old)),
                Err(_) => u.created.push(f.to_path_buf()),
            }
        }
        u
    }
    fn undo(self) {
        // Best effort: each step is independent, and the error being reported matters more.
        for (f, old) in &self.replaced {
            let _ = std::fs::write(f, old);
        }
        for f in &self.created {
            let _ = std::fs::remove_file(f);
        }
        if let Some(d) = &self.created_dir {
            let _ = std::fs::remove_dir(d);
        }
    }
}

fn ask(question: &str) -> anyhow::Result<Option<String>> {
    print!("{question}: ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let t = line.trim();
    Ok((!t.is_empty()).then(|| t.to_string()))
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// An empty password file only its owner may read.
fn password_file(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(|_| ())
        .with_context(|| format!("creating {}", path.display()))
}

/// The system's IANA zone: `$TZ`, `/etc/timezone`, or the `/etc/localtime` link; else UTC.
fn system_zone() -> String {
    let candidates = [
        std::env::var("TZ").ok(),
        std::fs::read_to_string("/etc/timezone").ok(),
        std::fs::read_link("/etc/localtime").ok().and_then(|p| {
            let s = p.to_string_lossy().into_owned();
            s.split_once("zoneinfo/").map(|(_, z)| z.to_string())
        }),
    ];
    candidates
        .into_iter()
        .flatten()
        .map(|z| z.trim().trim_start_matches(':').to_string())
        .find(|z| z.parse::<chrono_tz::Tz>().is_ok())
        .unwrap_or_else(|| "UTC".into())
}

fn shell_quote(p: &Path) -> String {
    let s = p.display().to_string();
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// A TOML string literal.
fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn mail_section(a: &InitArgs, dir: &Path, smtp: Option<&SmtpServer>) -> String {
    let from = format!("[mail]\nfrom = {}\n", q(&a.from));
    if a.sendmail {
        return format!(
            "{from}transport = \"sendmail\"       # the local sendmail command delivers\n# sendmail_command = \"/usr/sbin/sendmail\"   # default: `sendmail` on PATH\n"
        );
    }
    let Some(smtp) = smtp else {
        return format!(
            "{from}# No [smtp] table yet: digests are written as .eml files to `dir`. Uncomment [smtp]
# below (transport then follows it), or set transport = \"sendmail\".
dir = {}
\n# [smtp]\n# host = \"smtp.example.org\"\n# port = 587\n# tls = \"starttls\"            # \"starttls\" (587) | \"tls\" (465) | \"none\" (25, local relays)\n# username = \"you@example.org\"\n# password_file = \"smtp-password\"   # next to this file; or password_env = \"VAR\"\n",
            q(&dir.join("outbox").display().to_string())
        );
    };
    let (host, port) = (&smtp.host, smtp.port.unwrap_or(587));
    let tls = match (a.smtp_tls.as_deref(), port) {
        (Some(t), _) => t,
        (None, 465) => "tls",
        (None, 25 | 1025 | 2525) => "none",
        (None, _) => "starttls",
    };
    let mut s = format!(
        "{from}# transport follows [smtp]: with the table below, digests go through SMTP.\n\n[smtp]\nhost = {}\nport = {port}\ntls = \"{tls}\"                # \"starttls\" (587) | \"tls\" (465) | \"none\" (25, local relays)\n",
        q(host)
    );
    if let Some(u) = &a.smtp_user {
        s.push_str(&format!(
            "username = {}\npassword_file = \"smtp-password\"   # next to this file, the password on one line\n",
            q(u)
        ));
    }
    s
}

fn config_text(
    a: &InitArgs,
    dir: &Path,
    smtp: Option<&SmtpServer>,
    to: &str,
    timezone: &str,
) -> String {
    let db = q(&dir.join("state").join("chipwatch.db").display().to_string());
    format!(
        r#"# chipwatch configuration, written by `chipwatch init`. `chipwatch --config THIS check-config`
# checks it; the README documents every key. Input files (feeds.opml, rule packs) resolve
# relative to this file; the database path is absolute, so any working directory works.

[store]
path = {db}

[feeds]
opml = "feeds.opml"             # next to this file: the shipped export-policy news feeds; add your own
backfill = "14d"                # first poll: older entries are stored as seen, not reported

# [[feed]]
# url = "https://example.org/feed.xml"
# name = "My feed"

# Primary sources (README "Primary sources"): the Federal Register API (no key needed). Each
# document is reported with its type, citation and dates; digests open with a "Regulatory
# actions" section and carry effective dates and comment deadlines as a calendar attachment.
[[federal_register]]
name = "BIS rules"                               # shown as the source in digests
agencies = ["industry-and-security-bureau"]      # Federal Register agency slugs
types = ["RULE", "PRORULE"]                      # RULE | PRORULE | NOTICE | PRESDOCU
public_inspection = true                         # also documents on public inspection (1-2 days earlier)
report = "all"                                   # every rule is reported, matched or not
interval = "1h"
tags = ["primary", "federal-register"]

[[federal_register]]
name = "BIS notices"                             # denial orders, information collections, ...
agencies = ["industry-and-security-bureau"]
types = ["NOTICE"]
report = "matching"                              # only the notices your rules match
interval = "6h"
tags = ["primary", "federal-register"]

# Who was added to (or removed from) the Entity List and its neighbours: the trade.gov
# Consolidated Screening List, downloaded whole and diffed with the previous download. It is
# off here because of its size: ~17 MB (about 26,000 records) per download, every 6 hours,
# more than the default [http] max_body of 16MiB. To turn it on, uncomment both tables.
# [[screening_list]]
# name = "Consolidated Screening List"
# url = "https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.csv"
# lists = ["Entity List", "Military End User (MEU) List", "Unverified List"]
# interval = "6h"
# tags = ["primary", "screening-list"]
#
# [http]
# max_body = "48MiB"                             # the download above is ~17 MB

{mail}
[rules]
# "builtin:" names the rule pack compiled into chipwatch: it updates with the binary. To change
# it instead, copy config/rules/semiconductor-export.toml of the chipwatch source next to this
# file and write include = ["semiconductor-export.toml"] (it then stays as you copied it).
include = ["builtin:rules/semiconductor-export.toml"]

# Your own rules, in the same language as the pack (README "Rules"). A sample:
[[rule]]
name = "my-export-controls"
query = '"export controls" AND (chip OR semiconductor OR 芯片)'

[[digest]]
name = "daily"
to = [{to}]
schedule = "daily at 08:00"     # cron, or "weekdays at 07:30", "every 6h", "hourly"
timezone = {tz}
"#,
        mail = mail_section(a, dir, smtp),
        to = q(to),
        tz = q(timezone),
    )
}
