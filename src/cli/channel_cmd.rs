//! `chipwatch channel test NAME`: sends a short test message through one `[[channel]]` and
//! prints the service's answer (status and body), so a webhook URL or token can be checked
//! before the first digest depends on it. Nothing is stored.

use super::{Cli, load_config, runtime};
use crate::channel::Channels;
use crate::clock::Clock;
use crate::mailer::Mailer;
use clap::Subcommand;
use std::sync::Arc;

#[derive(Debug, Subcommand)]
pub enum ChannelCmd {
    /// Send a short test message through a channel and print the service's answer.
    Test {
        /// The channel's `name` in a [[channel]] table.
        name: String,
    },
}

pub fn run(cli: &Cli, cmd: &ChannelCmd, clock: Arc<dyn Clock>) -> anyhow::Result<i32> {
    let config = load_config(cli)?;
    let ChannelCmd::Test { name } = cmd;
    let Some(c) = config.channels.iter().find(|c| c.name == *name) else {
        let known: Vec<&str> = config.channels.iter().map(|c| c.name.as_str()).collect();
        anyhow::bail!(
            "no channel named `{name}` (channels: {})",
            if known.is_empty() {
                "none configured".to_string()
            } else {
                known.join(", ")
            }
        );
    };
    let kind = c.kind.as_str();
    let now = clock.now().timestamp();
    // The SMTP pool (built with the channels, as every run builds them) needs the runtime from
    // its creation to its drop.
    let answer = runtime()?.block_on(async {
        let channels = Channels::new(Mailer::new(&config.mail)?, &config.channels)?;
        anyhow::Ok(channels.test(name, now).await)
    })?;
    match answer {
        Ok(a) => {
            println!("channel {name} ({kind}): HTTP {}: {}", a.status, a.body);
            Ok(0)
        }
        Err(e) => {
            println!("channel {name} ({kind}): failed: {e}");
            Ok(1)
        }
    }
}
