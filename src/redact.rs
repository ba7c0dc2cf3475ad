//! Redaction of secrets in addresses before they reach a log line, `feeds status` or a digest:
//! user info (`https://user:pass@host/`) and the values of query parameters whose names carry
//! credentials (`token`, `api_key`, `sig`, …). The address used for fetching is never changed.
//! Pure.

/// Query parameter names (lowercase, `-` as `_`) whose values are credentials.
const SECRET_NAMES: &[&str] = &[
    "token",
    "access_token",
    "auth_token",
    "id_token",
    "refresh_token",
    "api_key",
    "apikey",
    "key",
    "auth",
    "authorization",
    "secret",
    "client_secret",
    "password",
    "passwd",
    "pass",
    "pwd",
    "sig",
    "signature",
    "session",
    "sessionid",
    "session_id",
    "sid",
    "private_token",
    "x_amz_signature",
    "x_amz_credential",
    "x_amz_security_token",
    "hash",
    "jwt",
];

const MASK: &str = "REDACTED";

fn secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase().replace('-', "_");
    SECRET_NAMES.contains(&n.as_str())
        || n.ends_with("_token")
        || n.ends_with("_key")
        || n.ends_with("_secret")
}

/// `raw` with user info and secret query values masked; text that is not a URL is returned
/// unchanged.
pub fn url(raw: &str) -> String {
    let Ok(mut u) = url::Url::parse(raw) else {
        return raw.to_string();
    };
    let mut changed = false;
    if u.password().is_some() {
        let _ = u.set_password(Some(MASK));
        changed = true;
    }
    if !u.username().is_empty() && u.password().is_none() {
        // A lone user name in the address is usually a token (https://TOKEN@host/).
        let _ = u.set_username(MASK);
        changed = true;
    }
    if let Some(q) = u.query()
        && q.split('&')
            .any(|kv| secret_name(kv.split('=').next().unwrap_or("")))
    {
        let masked: Vec<String> = q
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if secret_name(k) => format!("{k}={MASK}"),
                _ => kv.to_string(),
            })
            .collect();
        u.set_query(Some(&masked.join("&")));
        changed = true;
    }
    if changed {
        u.to_string()
    } else {
        raw.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_and_the_rest_kept() {
        assert_eq!(
            url("https://feeds.example/rss?token=abc123&lang=en"),
            "https://feeds.example/rss?token=REDACTED&lang=en"
        );
        assert_eq!(
            url("https://bob:hunter2@example.org/feed"),
            "https://bob:REDACTED@example.org/feed"
        );
        assert_eq!(
            url("https://ghp_secret@example.org/feed"),
            "https://REDACTED@example.org/feed"
        );
        assert_eq!(
            url("https://x.example/f?X-Api-Key=1&page=2&my_token=3"),
            "https://x.example/f?X-Api-Key=REDACTED&page=2&my_token=REDACTED"
        );
        assert_eq!(
            url("https://example.org/feed?page=2"),
            "https://example.org/feed?page=2"
        );
        assert_eq!(url("not a url"), "not a url");
    }
}
