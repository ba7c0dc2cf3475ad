//! The command line: clap definitions and dispatch. Each group of subcommands lives in its own
//! file ([`rules_cmd`], [`digest_cmd`], [`feeds_cmd`], [`channel_cmd`], [`deadlines_cmd`]);
//! `main.rs` only parses, sets up logging and maps errors to exit codes. Machine-readable
//! output goes to stdout, logs to stderr.

mod channel_cmd;
mod deadlines_cmd;
mod digest_cmd;
mod eval_cmd;
mod feeds_cmd;
mod init_check;
mod init_cmd;
mod inspect_cmd;
mod mail_cmd;
mod rules_cmd;

use crate::app;
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ConfigSource};
use crate::telemetry::LogFormat;
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;

/// Exit codes, shown by `--help` and in the README.
pub const EXIT_CODES: &str = "Exit codes:
  0    success
  1    error: invalid configuration (every problem is listed), database or I/O failure,
       a digest or test message left unsent, results not written (run --once)
  2    wrong command-line usage
  130  run: stopped by a second SIGINT before the clean stop finished
  143  run: stopped by a second SIGTERM before the clean stop finished";

#[derive(Debug, Parser)]
#[command(
    name = "chipwatch",
    version,
    about = "Watches news feeds for semiconductor export-policy news and emails digests",
    after_help = EXIT_CODES
)]
pub struct Cli {
    /// Configuration file (default: the embedded config/chipwatch.toml).
    // An empty $CHIPWATCH_CONFIG means "not set" (the embedded default), so empty is accepted.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "CHIPWATCH_CONFIG",
        value_parser = clap::builder::TypedValueParser::map(clap::builder::OsStringValueParser::new(), PathBuf::from)
    )]
    pub config: Option<PathBuf>,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a self-contained starter setup (config, feeds, primary sources, a sample rule)
    /// into DIR.
    #[command(after_help = INIT_HELP)]
    Init(init_cmd::InitArgs),
    /// Run the daemon (or one cycle with --once).
    #[command(after_help = RUN_HELP)]
    Run(RunArgs),
    /// Validate the configuration, rule packs and OPML; print warnings.
    CheckConfig,
    /// Test, evaluate and backtest rules.
    #[command(subcommand)]
    Rules(rules_cmd::RulesCmd),
    /// Preview, send and list digests.
    #[command(subcommand)]
    Digest(digest_cmd::DigestCmd),
    /// Feed status, inspection and OPML.
    #[command(subcommand)]
    Feeds(feeds_cmd::FeedsCmd),
    /// Check the mail setup: send a test message.
    #[command(subcommand)]
    Mail(mail_cmd::MailCmd),
    /// Chat and webhook channels: send a test message.
    #[command(subcommand)]
    Channel(channel_cmd::ChannelCmd),
    /// Database maintenance.
    #[command(subcommand)]
    Db(DbCmd),
    /// Effective dates and comment deadlines of the stored Federal Register documents.
    Deadlines(deadlines_cmd::DeadlinesArgs),
}

const INIT_HELP: &str =
    "init ignores --config and $CHIPWATCH_CONFIG: it always writes DIR/chipwatch.toml
(and DIR/feeds.opml). Every flag is checked first; with a mistake nothing is written (exit 2).
Afterwards pass the new file to the other commands: chipwatch --config DIR/chipwatch.toml …";

const RUN_HELP: &str =
    "Signals: SIGHUP reloads the configuration (an invalid one is reported and the old one
keeps running); SIGTERM or SIGINT stop cleanly (no new polls, in-flight ones get 20 s, exit 0);
a second SIGTERM/SIGINT during that stop exits at once with 143/130.

Exit codes: 0 after a clean stop or a --once cycle; 1 if the configuration or database cannot
be used, or (--once) results could not be written to the database.";

#[derive(Debug, Args)]
pub struct RunArgs {
    /// One poll cycle (plus digests if due), then exit.
    #[arg(long)]
    pub once: bool,
    /// With --once: poll only feeds whose next check has come.
    #[arg(long, requires = "once")]
    pub due_only: bool,
    /// With --once: create and send digests now, whatever the schedule.
    #[arg(long, requires = "once")]
    pub digest_now: bool,
    /// With --once: print the summary as one JSON object on stdout.
    #[arg(long, requires = "once")]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum DbCmd {
    /// Write a consistent copy of the database (safe while the daemon runs).
    Backup {
        /// Where to write the copy (must not exist yet).
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Reclaim free space.
    Vacuum,
}

/// Loads the configuration named on the command line (or the default). With several
/// problems, all but the last are printed here (`error: …` each) and the last is returned.
pub fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let source = ConfigSource::locate(cli.config.as_deref());
    Config::load(&source).map_err(|e| {
        let mut problems = e.problems();
        let last = problems.pop().unwrap_or_default();
        for p in &problems {
            eprintln!("error: {p}");
        }
        anyhow::anyhow!("{last}")
    })
}

/// Runs the parsed command; returns the process exit code.
pub fn dispatch(cli: Cli) -> anyhow::Result<i32> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match &cli.command {
        Command::CheckConfig => check_config(&cli),
        Command::Init(a) => init_cmd::run(a),
        Command::Mail(c) => mail_cmd::run(&cli, c, clock),
        Command::Run(a) => {
            let config = load_config(&cli)?;
            for w in &config.rule_warnings {
                tracing::warn!("{w}");
            }
            for w in &config.warnings {
                crate::telemetry::warning_line(w);
            }
            let rt = runtime()?;
            if a.once {
                let s = rt.block_on(app::run_once(config, clock, a.due_only, a.digest_now))?;
                if a.json {
                    println!("{}", serde_json::to_string(&s)?);
                } else {
                    println!("{}", s.line());
                }
                if s.store_errors > 0 {
                    eprintln!(
                        "error: {} poll results could not be written to the database (see the log above); the next run fetches them again",
                        s.store_errors
                    );
                    return Ok(1);
                }
                Ok(0)
            } else {
                let source = ConfigSource::locate(cli.config.as_deref());
                crate::daemon::tune_allocator();
                rt.block_on(crate::daemon::run(source, config, clock))?;
                Ok(0)
            }
        }
        Command::Rules(c) => rules_cmd::run(&cli, c, clock),
        Command::Digest(c) => digest_cmd::run(&cli, c, clock),
        Command::Feeds(c) => feeds_cmd::run(&cli, c, clock),
        Command::Channel(c) => channel_cmd::run(&cli, c, clock),
        Command::Deadlines(a) => deadlines_cmd::run(&cli, a, clock),
        Command::Db(c) => {
            let config = load_config(&cli)?;
            let store = crate::store::Store::open(&config.store_path)?;
            match c {
                DbCmd::Backup { file } => {
                    store
                        .backup_to(file)
                        .with_context(|| format!("backing up to {}", file.display()))?;
                    println!("backup written to {}", file.display());
                }
                DbCmd::Vacuum => {
                    let (before, after) = store.vacuum()?;
                    println!(
                        "vacuumed {}: {before} → {after} bytes",
                        config.store_path.display()
                    );
                }
            }
            Ok(0)
        }
    }
}

/// A multi-threaded tokio runtime for the commands that do I/O.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// The sources in words: "29 feeds, 3 primary sources" (Federal Register queries and
/// screening lists are the primary sources; a table with public inspection polls two).
pub fn describe_sources(c: &Config) -> String {
    use crate::model::SourceKind;
    use crate::words::count;
    let feeds = c
        .feeds
        .iter()
        .filter(|f| matches!(f.kind, SourceKind::Feed))
        .count();
    let feeds_text = count(feeds, "feed", "feeds");
    match c.feeds.len() - feeds {
        0 => feeds_text,
        n => format!(
            "{feeds_text}, {}",
            count(n, "primary source", "primary sources")
        ),
    }
}

/// Where digests go, in words: `SMTP host:port`, `files in DIR`, `maildir DIR`, `sendmail`.
pub fn describe_transport(c: &Config) -> String {
    use crate::config::Transport;
    match &c.mail.transport {
        Transport::File { dir } => format!("files in {}", dir.display()),
        Transport::Maildir { dir } => format!("maildir {}", dir.display()),
        Transport::Smtp(s) => format!("SMTP {}:{}", s.host, s.port),
        Transport::Sendmail { command } => match command {
            Some(c) => format!("sendmail ({c})"),
            None => "sendmail".into(),
        },
    }
}

fn check_config(cli: &Cli) -> anyhow::Result<i32> {
    let source = ConfigSource::locate(cli.config.as_deref());
    match Config::load(&source) {
        Ok(c) => {
            for w in &c.rule_warnings {
                eprintln!("{w}");
            }
            for w in &c.warnings {
                eprintln!("warning: {w}");
            }
            use crate::words::count;
            println!(
                "{}: OK — {}, {} ({}), {}, mail via {}{}; database {}",
                source.describe(),
                describe_sources(&c),
                count(c.rules.rules().len(), "rule", "rules"),
                count(c.rules.term_count(), "term", "terms"),
                count(c.digests.len(), "digest profile", "digest profiles"),
                describe_transport(&c),
                match c.channels.len() {
                    0 => String::new(),
                    n => format!(
                        ", {n} channel{} ({})",
                        if n == 1 { "" } else { "s" },
                        c.channels
                            .iter()
                            .map(|k| format!("{} {}", k.kind.as_str(), k.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                },
                c.store_path.display()
            );
            let warnings = c.rule_warnings.len() + c.warnings.len();
            if warnings > 0 {
                println!("{}", count(warnings, "warning", "warnings"));
            }
            Ok(0)
        }
        Err(e) => {
            let problems = e.problems();
            for p in &problems {
                eprintln!("error: {p}");
            }
            if problems.len() > 1 {
                eprintln!("{}: {} errors", source.describe(), problems.len());
            }
            Ok(1)
        }
    }
}
