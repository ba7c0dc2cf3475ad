//! The command line: clap definitions and dispatch. Each group of subcommands lives in its own
//! file ([`rules_cmd`], [`digest_cmd`], [`feeds_cmd`], [`deadlines_cmd`]); `main.rs` only parses, sets up logging
//! and maps errors to exit codes. Machine-readable output goes to stdout, logs to stderr.

mod deadlines_cmd;
mod digest_cmd;
mod eval_cmd;
mod feeds_cmd;
mod rules_cmd;

use crate::app;
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ConfigSource};
use crate::telemetry::LogFormat;
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "chipwatch",
    version,
    about = "Watches news feeds for semiconductor export-policy news and emails digests"
)]
pub struct Cli {
    /// Configuration file (default: $CHIPWATCH_CONFIG, else the embedded config/chipwatch.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon (or one cycle with --once).
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
    /// Database maintenance.
    #[command(subcommand)]
    Db(DbCmd),
    /// Effective dates and comment deadlines of the stored Federal Register documents.
    Deadlines(deadlines_cmd::DeadlinesArgs),
}

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
    Backup { file: PathBuf },
    /// Reclaim free space.
    Vacuum,
}

/// Loads the configuration named on the command line (or the default).
pub fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let source = ConfigSource::locate(cli.config.as_deref());
    Config::load(&source).map_err(|e| anyhow::anyhow!("{e}"))
}

/// Runs the parsed command; returns the process exit code.
pub fn dispatch(cli: Cli) -> anyhow::Result<i32> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match &cli.command {
        Command::CheckConfig => check_config(&cli),
        Command::Run(a) => {
            let config = load_config(&cli)?;
            for w in &config.rule_warnings {
                tracing::warn!("{w}");
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

fn check_config(cli: &Cli) -> anyhow::Result<i32> {
    let source = ConfigSource::locate(cli.config.as_deref());
    match Config::load(&source) {
        Ok(c) => {
            for w in &c.rule_warnings {
                eprintln!("{w}");
            }
            println!(
                "{}: OK — {} feeds, {} rules ({} terms), {} digest profiles, mail via {}; database {}",
                source.describe(),
                c.feeds.len(),
                c.rules.rules().len(),
                c.rules.term_count(),
                c.digests.len(),
                match &c.mail.transport {
                    crate::config::Transport::File { dir } => format!("files in {}", dir.display()),
                    crate::config::Transport::Maildir { dir } =>
                        format!("maildir {}", dir.display()),
                    crate::config::Transport::Smtp(s) => format!("SMTP {}:{}", s.host, s.port),
                    crate::config::Transport::Sendmail { .. } => "sendmail".into(),
                },
                c.store_path.display()
            );
            if !c.rule_warnings.is_empty() {
                println!("{} warning(s)", c.rule_warnings.len());
            }
            Ok(0)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(1)
        }
    }
}
