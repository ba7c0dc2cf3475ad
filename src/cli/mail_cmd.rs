//! `chipwatch mail test`: sends one short message through the configured transport (SMTP,
//! sendmail, Maildir or `.eml` file) to the digest recipients or `--to`, so a mail setup can be
//! checked before the first digest. Stores nothing.

use super::{Cli, describe_transport, load_config, runtime};
use crate::clock::Clock;
use crate::config::{Config, Transport};
use crate::mailer::Mailer;
use crate::model::Recipients;
use crate::store::digests::PendingDigest;
use anyhow::Context;
use clap::Subcommand;
use std::sync::Arc;

#[derive(Debug, Subcommand)]
pub enum MailCmd {
    /// Send a test message through the configured transport (exit 1 if it is not accepted).
    Test {
        /// Send to this address instead of the recipients of every `[[digest]]` profile.
        #[arg(long, value_name = "ADDRESS")]
        to: Option<String>,
    },
}

pub fn run(cli: &Cli, cmd: &MailCmd, clock: Arc<dyn Clock>) -> anyhow::Result<i32> {
    let MailCmd::Test { to } = cmd;
    let config = load_config(cli)?;
    let recipients = match to {
        Some(a) => vec![a.clone()],
        None => recipients(&config),
    };
    let message = test_message(&config, &recipients, clock.as_ref())?;
    let pending = PendingDigest {
        id: 0,
        profile: "test".into(),
        message_id: String::new(),
        recipients: Recipients {
            to: recipients.clone(),
            ..Default::default()
        },
        message,
        attempts: 0,
        story_count: 0,
        done: Vec::new(),
        kind: "test".into(),
        channel: None,
        subject: "chipwatch test message".into(),
    };
    let via = describe_transport(&config);
    // The SMTP pool needs the runtime from its creation on.
    let sent = runtime()?.block_on(async {
        let mailer = Mailer::new(&config.mail).map_err(|e| anyhow::anyhow!("{e}"))?;
        anyhow::Ok(mailer.send(&config.mail.from, &pending, &recipients).await)
    })?;
    match sent {
        Ok(()) => {
            println!("test message sent to {} via {via}", recipients.join(", "));
            Ok(0)
        }
        Err(e) => {
            let hint = match (&config.mail.transport, e.to_string()) {
                (Transport::Sendmail { .. }, m) if m.contains("No such file") => {
                    " — the sendmail program was not found: install a mail transfer agent or set [mail] sendmail_command"
                }
                (Transport::Smtp(_), m) if m.contains("authentication") || m.contains("535") => {
                    " — check [smtp] username and the password file"
                }
                _ => "",
            };
            eprintln!(
                "error: the test message to {} via {via} failed: {e}{hint}",
                recipients.join(", ")
            );
            Ok(1)
        }
    }
}

/// Every digest profile's recipients, each once.
fn recipients(config: &Config) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for d in &config.digests {
        for a in d.to.iter().chain(&d.cc).chain(&d.bcc) {
            if !out.contains(a) {
                out.push(a.clone());
            }
        }
    }
    out
}

fn test_message(config: &Config, to: &[String], clock: &dyn Clock) -> anyhow::Result<Vec<u8>> {
    let from: lettre::message::Mailbox = config.mail.from.parse().context("[mail] from")?;
    let mut b = lettre::Message::builder()
        .from(from)
        .subject("chipwatch test message")
        .date(std::time::SystemTime::from(clock.now()));
    for a in to {
        b = b.to(a.parse().with_context(|| format!("address {a:?}"))?);
    }
    let body = format!(
        "This is a test message from chipwatch {} (configuration {}), sent via {}.\n\nIf you can read it, digests will reach you the same way.\n",
        env!("CARGO_PKG_VERSION"),
        config.source.describe(),
        describe_transport(config),
    );
    let m = b
        .body(body)
        .map_err(|e| anyhow::anyhow!("building the test message: {e}"))?;
    Ok(m.formatted())
}
