//! Channels: the ways a claimed digest leaves chipwatch. Mail (the `[mail]` transport: SMTP,
//! sendmail, file, Maildir — [`crate::mailer`]) is one kind; `[[channel]]`s are the others
//! (Slack-compatible webhooks, Matrix, Telegram, ntfy, signed webhooks — [`request`] builds
//! their HTTP requests). Every kind is fed by the same outbox (`digest::outbox`): a stored
//! part is posted as is, with its stable idempotency key, and the answer is classified as
//! accepted, worth retrying (connection errors, 408, 429, 5xx; `Retry-After`) or refused for
//! good (other 4xx). URLs and tokens are secrets: no error or log line carries them.

pub mod request;

use crate::config::channels::{ChannelConfig, ChannelKind};
use crate::mailer::{MailError, Mailer};
use crate::store::digests::PendingDigest;
use std::time::Duration;

/// The service's answer to a request it accepted.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    /// The response body, cut to a few hundred characters.
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    #[error("channel `{channel}` is not configured (any more)")]
    Unknown { channel: String },
    /// No answer (connection refused, timeout, TLS): worth retrying. The URL is stripped.
    #[error("channel `{channel}`: {}", crate::cause::innermost(.source))]
    Request {
        channel: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("channel `{channel}`: HTTP {status}: {body}")]
    Status {
        channel: String,
        status: u16,
        body: String,
        /// When the service asked us to come back (`Retry-After`), as a Unix time.
        retry_at: Option<i64>,
    },
    #[error("channel `{channel}`: {message}")]
    Build { channel: String, message: String },
    #[error("cannot set up the HTTP client for channels: {0}")]
    Client(#[source] reqwest::Error),
    #[error(transparent)]
    Mail(#[from] MailError),
}

impl ChannelError {
    /// Retrying later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            ChannelError::Unknown { .. } | ChannelError::Request { .. } => true,
            ChannelError::Status { status, .. } => {
                *status == 408 || *status == 429 || *status >= 500
            }
            ChannelError::Build { .. } | ChannelError::Client(_) => false,
            ChannelError::Mail(e) => e.is_transient(),
        }
    }

    /// Not before this Unix time, when the service said so.
    pub fn retry_at(&self) -> Option<i64> {
        match self {
            ChannelError::Status { retry_at, .. } => *retry_at,
            _ => None,
        }
    }
}

/// Mail plus the configured `[[channel]]`s, with one HTTP client for all of them.
pub struct Channels {
    pub mail: Mailer,
    chats: Vec<ChannelConfig>,
    http: reqwest::Client,
}

impl Channels {
    pub fn new(mail: Mailer, chats: &[ChannelConfig]) -> Result<Channels, ChannelError> {
        crate::crypto::install_crypto_provider();
        let http = reqwest::Client::builder()
            .user_agent(concat!("chipwatch/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            // A redirect would resend the body (and the token) somewhere we were not told.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(ChannelError::Client)?;
        Ok(Channels {
            mail,
            chats: chats.to_vec(),
            http,
        })
    }

    pub fn get(&self, name: &str) -> Option<&ChannelConfig> {
        self.chats.iter().find(|c| c.name == name)
    }

    /// Posts one stored part to its channel.
    pub async fn post(
        &self,
        channel: &str,
        d: &PendingDigest,
        now: i64,
    ) -> Result<Answer, ChannelError> {
        let c = self.get(channel).ok_or_else(|| ChannelError::Unknown {
            channel: channel.to_string(),
        })?;
        let req = request::build(&self.http, c, &d.message, &d.message_id)?;
        self.send(c, req, now).await
    }

    /// Sends a short test message through `channel` and returns the service's answer.
    pub async fn test(&self, channel: &str, now: i64) -> Result<Answer, ChannelError> {
        let c = self.get(channel).ok_or_else(|| ChannelError::Unknown {
            channel: channel.to_string(),
        })?;
        let text = format!(
            "chipwatch {}: test message for channel `{}`",
            env!("CARGO_PKG_VERSION"),
            c.name
        );
        let body = request::test_body(c.kind, &text);
        let key = format!("chipwatch-test-{}-{now}", c.name);
        let req = request::build(&self.http, c, &body, &key)?;
        self.send(c, req, now).await
    }

    async fn send(
        &self,
        c: &ChannelConfig,
        req: reqwest::RequestBuilder,
        now: i64,
    ) -> Result<Answer, ChannelError> {
        let resp = req.send().await.map_err(|e| ChannelError::Request {
            channel: c.name.clone(),
            source: e.without_url(),
        })?;
        let status = resp.status().as_u16();
        let retry_at = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after(v, now));
        let body = resp.text().await.unwrap_or_default();
        let body: String = body
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(300)
            .collect();
        if (200..300).contains(&status) && !refused_in_body(c.kind, &body) {
            return Ok(Answer { status, body });
        }
        let status = if (200..300).contains(&status) {
            400
        } else {
            status
        };
        Err(ChannelError::Status {
            channel: c.name.clone(),
            status,
            body,
            retry_at,
        })
    }
}

/// Telegram answers `{"ok":false,…}` on refusals it reports with 200 in some proxies.
fn refused_in_body(kind: ChannelKind, body: &str) -> bool {
    kind == ChannelKind::Telegram && body.contains("\"ok\":false")
}

/// `Retry-After` as seconds or an HTTP date → a Unix time (at most a day ahead).
fn retry_after(v: &str, now: i64) -> Option<i64> {
    let at = match v.trim().parse::<i64>() {
        Ok(secs) => now.saturating_add(secs.max(0)),
        Err(_) => chrono::DateTime::parse_from_rfc2822(v.trim())
            .ok()?
            .timestamp(),
    };
    Some(at.clamp(now, now + 86_400))
}

#[cfg(test)]
mod tests {
    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(super::retry_after("120", 1000), Some(1120));
        assert_eq!(
            super::retry_after("Thu, 01 Jan 1970 00:20:00 GMT", 1000),
            Some(1200)
        );
        assert_eq!(super::retry_after("999999", 0), Some(86_400));
        assert_eq!(super::retry_after("soon", 0), None);
    }
}
