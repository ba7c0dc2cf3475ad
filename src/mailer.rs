//! Mail transports: SMTP (STARTTLS, implicit TLS or plain; AUTH), the sendmail binary, Maildir
//! folders and `.eml` files (written to a temporary name, then renamed). Sends the stored message bytes
//! unchanged, so a resend carries the same Message-ID. Mail is one channel kind: held by
//! [`crate::channel::Channels`], called by the digest outbox.

use crate::config::{MailConfig, Tls, Transport};
use crate::store::digests::PendingDigest;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Address, AsyncSendmailTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// Refused for good when [`lettre::transport::smtp::Error::is_permanent`] (5xx); else
    /// worth retrying (connection, timeout, 4xx).
    #[error("SMTP: {0}")]
    Smtp(#[source] lettre::transport::smtp::Error),
    /// Worth retrying.
    #[error("sendmail: {0}")]
    Sendmail(#[source] lettre::transport::sendmail::Error),
    /// Writing a file or Maildir message failed; worth retrying.
    #[error("writing to {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("bad address {0:?}")]
    Address(String),
    #[error("envelope: {0}")]
    Envelope(#[source] lettre::error::Error),
}

impl MailError {
    /// Retrying later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            MailError::Smtp(e) => !e.is_permanent(),
            MailError::Sendmail(_) | MailError::Io { .. } => true,
            MailError::Address(_) | MailError::Envelope(_) => false,
        }
    }
}

pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Sendmail(AsyncSendmailTransport<Tokio1Executor>),
    File(PathBuf),
    Maildir(PathBuf),
}

impl Mailer {
    pub fn new(cfg: &MailConfig) -> Result<Mailer, MailError> {
        crate::crypto::install_crypto_provider();
        Ok(match &cfg.transport {
            Transport::File { dir } => Mailer::File(dir.clone()),
            Transport::Maildir { dir } => Mailer::Maildir(dir.clone()),
            Transport::Sendmail { command } => Mailer::Sendmail(match command {
                Some(c) => AsyncSendmailTransport::new_with_command(c),
                None => AsyncSendmailTransport::new(),
            }),
            Transport::Smtp(s) => {
                let mut b = match s.tls {
                    Tls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host)
                        .map_err(MailError::Smtp)?,
                    Tls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)
                        .map_err(MailError::Smtp)?,
                    Tls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
                };
                b = b.port(s.port).timeout(Some(s.timeout));
                if let (Some(u), Some(p)) = (&s.username, &s.password) {
                    b = b.credentials(Credentials::new(u.clone(), p.0.clone()));
                }
                Mailer::Smtp(b.build())
            }
        })
    }

    /// Short description for logs and summaries.
    pub fn describe(&self) -> String {
        match self {
            Mailer::Smtp(_) => "smtp".into(),
            Mailer::Sendmail(_) => "sendmail".into(),
            Mailer::File(d) => format!("file ({})", d.display()),
            Mailer::Maildir(d) => format!("maildir ({})", d.display()),
        }
    }

    /// Delivers one stored digest to `recipients` (one envelope, the stored bytes unchanged).
    pub async fn send(
        &self,
        from: &str,
        d: &PendingDigest,
        recipients: &[String],
    ) -> Result<(), MailError> {
        let sender = from
            .parse::<lettre::message::Mailbox>()
            .map_err(|_| MailError::Address(from.to_string()))?
            .email;
        let mut rcpt: Vec<Address> = Vec::new();
        for a in recipients {
            rcpt.push(
                a.parse::<lettre::message::Mailbox>()
                    .map_err(|_| MailError::Address(a.clone()))?
                    .email,
            );
        }
        let env = Envelope::new(Some(sender), rcpt).map_err(MailError::Envelope)?;
        match self {
            Mailer::Smtp(t) => t
                .send_raw(&env, &d.message)
                .await
                .map(|_| ())
                .map_err(MailError::Smtp),
            Mailer::Sendmail(t) => t
                .send_raw(&env, &d.message)
                .await
                .map_err(MailError::Sendmail),
            Mailer::File(dir) => write_eml(dir, d).await,
            Mailer::Maildir(dir) => write_maildir(dir, d).await,
        }
    }
}

/// File name of a digest in the file outbox: `<profile>-<digest id>.eml`.
pub fn eml_name(d: &PendingDigest) -> String {
    let p: String = d
        .profile
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{p}-{:06}.eml", d.id)
}

async fn write_eml(dir: &std::path::Path, d: &PendingDigest) -> Result<(), MailError> {
    let io = |e: std::io::Error| MailError::Io {
        path: dir.to_path_buf(),
        source: e,
    };
    tokio::fs::create_dir_all(dir).await.map_err(io)?;
    let name = eml_name(d);
    let tmp = dir.join(format!(".{name}.tmp"));
    tokio::fs::write(&tmp, &d.message).await.map_err(io)?;
    if let Ok(f) = tokio::fs::File::open(&tmp).await {
        let _ = f.sync_all().await;
    }
    tokio::fs::rename(&tmp, dir.join(&name)).await.map_err(io)?;
    Ok(())
}

/// Maildir delivery: written under `tmp/`, then renamed into `new/`. The name is fixed per
/// digest, so a resend after a crash replaces the file instead of adding a second copy.
async fn write_maildir(dir: &std::path::Path, d: &PendingDigest) -> Result<(), MailError> {
    let io = |e: std::io::Error| MailError::Io {
        path: dir.to_path_buf(),
        source: e,
    };
    for sub in ["tmp", "new", "cur"] {
        tokio::fs::create_dir_all(dir.join(sub)).await.map_err(io)?;
    }
    let host = hostname_for_maildir();
    let name = format!(
        "chipwatch.{}.{}.{host}",
        d.id,
        crate::crypto::fnv64(&[&d.message_id])
    );
    let tmp = dir.join("tmp").join(&name);
    tokio::fs::write(&tmp, &d.message).await.map_err(io)?;
    if let Ok(f) = tokio::fs::File::open(&tmp).await {
        let _ = f.sync_all().await;
    }
    tokio::fs::rename(&tmp, dir.join("new").join(&name))
        .await
        .map_err(io)?;
    Ok(())
}

/// The host part of Maildir file names (`/` and `:` are not allowed there).
fn hostname_for_maildir() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().replace(['/', ':'], "_"))
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}
