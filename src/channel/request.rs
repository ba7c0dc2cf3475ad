//! The HTTP request each channel kind is delivered with: endpoint, method, headers (the part's
//! idempotency key, the webhook signature, tokens) and the stored body, completed with what
//! only the configuration knows (Telegram's chat id, ntfy's topic). Secrets are added here,
//! at send time, and are never part of the stored body. Called by [`super::Channels`].

use super::ChannelError;
use crate::config::channels::{ChannelConfig, ChannelKind};

/// Telegram's Bot API, unless `url` points elsewhere (a local Bot API server, a test).
const TELEGRAM_API: &str = "https://api.telegram.org";

/// The header carrying a part's idempotency key on webhook and Slack-kind requests.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
/// `sha256=<lowercase hex HMAC-SHA256 of the exact body>`, keyed with `secret_file`.
pub const SIGNATURE: &str = "X-Chipwatch-Signature";

fn build_err(c: &ChannelConfig, message: &str) -> ChannelError {
    ChannelError::Build {
        channel: c.name.clone(),
        message: message.to_string(),
    }
}

/// Adds `key = value` to a stored JSON object body.
fn with_field(
    c: &ChannelConfig,
    body: &[u8],
    key: &str,
    value: &str,
) -> Result<Vec<u8>, ChannelError> {
    let mut v: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| build_err(c, "stored body is not JSON"))?;
    if let Some(o) = v.as_object_mut() {
        o.insert(key.into(), serde_json::Value::String(value.into()));
    }
    serde_json::to_vec(&v).map_err(|_| build_err(c, "cannot encode the body"))
}

/// The request delivering `body` (rendered for `c.kind`) with idempotency key `key`.
pub fn build(
    http: &reqwest::Client,
    c: &ChannelConfig,
    body: &[u8],
    key: &str,
) -> Result<reqwest::RequestBuilder, ChannelError> {
    let json = "application/json";
    let url = c.url.as_ref().map(|u| u.0.as_str());
    let need_url = || url.ok_or_else(|| build_err(c, "no url configured"));
    let bearer = c.token.as_ref().map(|t| format!("Bearer {}", t.0));
    Ok(match c.kind {
        ChannelKind::Slack => http
            .post(need_url()?)
            .header(reqwest::header::CONTENT_TYPE, json)
            .header(IDEMPOTENCY_KEY, key)
            .body(body.to_vec()),
        ChannelKind::Webhook => {
            let mut r = http
                .post(need_url()?)
                .header(reqwest::header::CONTENT_TYPE, json)
                .header(IDEMPOTENCY_KEY, key);
            if let Some(s) = &c.secret {
                let sig = crate::crypto::hmac_sha256_hex(s.0.as_bytes(), body);
                r = r.header(SIGNATURE, format!("sha256={sig}"));
            }
            r.body(body.to_vec())
        }
        ChannelKind::Matrix => {
            let home = c.homeserver.as_deref().unwrap_or_default();
            let room = c.room.as_deref().unwrap_or_default();
            // The transaction id makes a resend of the same part idempotent on the server.
            let url = format!(
                "{}/_matrix/client/v3/rooms/{}/send/m.room.message/{}",
                home.trim_end_matches('/'),
                enc(room),
                enc(key)
            );
            http.put(url)
                .header(reqwest::header::CONTENT_TYPE, json)
                .header(reqwest::header::AUTHORIZATION, bearer.unwrap_or_default())
                .body(body.to_vec())
        }
        ChannelKind::Telegram => {
            let token = c.token.as_ref().map(|t| t.0.as_str()).unwrap_or_default();
            let base = url.unwrap_or(TELEGRAM_API).trim_end_matches('/');
            let chat = c.chat_id.as_deref().unwrap_or_default();
            http.post(format!("{base}/bot{token}/sendMessage"))
                .header(reqwest::header::CONTENT_TYPE, json)
                .body(with_field(c, body, "chat_id", chat)?)
        }
        ChannelKind::Ntfy => {
            // JSON publishing (UTF-8 titles need no header encoding): POST to the server root
            // with the topic in the body.
            let u = url::Url::parse(need_url()?).map_err(|_| build_err(c, "bad url"))?;
            let topic = u
                .path_segments()
                .and_then(|mut s| s.next_back())
                .filter(|t| !t.is_empty())
                .ok_or_else(|| build_err(c, "the ntfy url names no topic"))?
                .to_string();
            let mut root = u.clone();
            root.set_path("/");
            let mut r = http
                .post(root.as_str())
                .header(reqwest::header::CONTENT_TYPE, json)
                .body(with_field(c, body, "topic", &topic)?);
            if let Some(b) = bearer {
                r = r.header(reqwest::header::AUTHORIZATION, b);
            }
            r
        }
    })
}

/// Percent-encodes a path segment.
fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// A short test message in `kind`'s body format.
pub fn test_body(kind: ChannelKind, text: &str) -> Vec<u8> {
    let v = match kind {
        ChannelKind::Slack => serde_json::json!({ "text": text }),
        ChannelKind::Matrix => serde_json::json!({ "msgtype": "m.notice", "body": text }),
        ChannelKind::Telegram => serde_json::json!({ "text": text }),
        ChannelKind::Ntfy => serde_json::json!({ "message": text, "title": "chipwatch test" }),
        ChannelKind::Webhook => serde_json::json!({ "type": "test", "text": text }),
    };
    serde_json::to_vec(&v).unwrap_or_default()
}
