//! The only HTTP code: a reqwest client with timeouts, a streaming body-size cap (counted after
//! decompression, so bombs stop at the cap), conditional GET, and redirects followed by hand
//! (301/308 reported as permanent, loops and > 10 hops are errors). Also reads `file://` URLs
//! and local paths. Called by the poller and `feeds inspect`.

use crate::config::HttpConfig;
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderValue};
use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

const MAX_HOPS: usize = 10;

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum FetchError {
    #[error("HTTP {status}")]
    Status { status: u16 },
    #[error("timed out")]
    Timeout,
    #[error("connection failed: {0}")]
    Connect(String),
    #[error("response larger than the {limit}-byte limit")]
    TooLarge { limit: u64 },
    #[error("redirect loop at {0}")]
    RedirectLoop(String),
    #[error("more than {MAX_HOPS} redirects")]
    TooManyRedirects,
    #[error("redirect without a usable Location")]
    BadRedirect,
    #[error("cannot read {path}: {message}")]
    File { path: String, message: String },
    #[error("{0}")]
    Other(String),
}

/// What to fetch and the validators from last time.
#[derive(Debug, Clone, Default)]
pub struct FetchRequest {
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Extra headers from the feed's config (never logged).
    pub headers: Vec<(String, String)>,
}

/// The result of one fetch.
#[derive(Debug, Clone, PartialEq)]
pub enum FetchOutcome {
    NotModified {
        permanent_redirect: Option<String>,
        max_age: Option<Duration>,
    },
    Modified(Box<Fetched>),
    /// 429 or 503: come back after `retry_after` (when the server said).
    RateLimited {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// 410: the feed is gone for good.
    Gone,
    Failed {
        status: Option<u16>,
        error: FetchError,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    pub status: u16,
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Where the final document was found, when redirected.
    pub final_url: String,
    /// Set when every hop was a permanent redirect (301/308).
    pub permanent_redirect: Option<String>,
    /// Cache-Control max-age / Expires hint.
    pub max_age: Option<Duration>,
}

/// The HTTP client, shared by all polls.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    max_body: u64,
}

/// Installs the one rustls crypto provider (ring) used by reqwest and lettre.
pub fn install_crypto_provider() {
    // Fails only when a provider is already installed, which is what we want anyway.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Fetcher {
    pub fn new(cfg: &HttpConfig) -> Result<Fetcher, FetchError> {
        install_crypto_provider();
        let mut b = reqwest::Client::builder()
            .user_agent(cfg.user_agent.clone())
            .timeout(cfg.timeout)
            .connect_timeout(cfg.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(cfg.per_host_concurrency.max(2))
            .tcp_nodelay(true);
        if let Some(p) = &cfg.proxy {
            b = b.proxy(
                reqwest::Proxy::all(p).map_err(|e| FetchError::Other(format!("bad proxy: {e}")))?,
            );
        }
        let client = b
            .build()
            .map_err(|e| FetchError::Other(format!("HTTP client: {e}")))?;
        Ok(Fetcher {
            client,
            max_body: cfg.max_body,
        })
    }

    /// Fetches `req.url` (http, https, file).
    pub async fn fetch(&self, req: &FetchRequest, now: DateTime<Utc>) -> FetchOutcome {
        match url::Url::parse(&req.url) {
            Ok(u) if u.scheme() == "file" => match u.to_file_path() {
                Ok(p) => read_file(&p, req, self.max_body).await,
                Err(()) => FetchOutcome::Failed {
                    status: None,
                    error: FetchError::Other(format!("bad file URL {}", req.url)),
                },
            },
            Ok(_) => self.fetch_http(req, now).await,
            Err(e) => FetchOutcome::Failed {
                status: None,
                error: FetchError::Other(format!("bad URL: {e}")),
            },
        }
    }

    async fn fetch_http(&self, req: &FetchRequest, now: DateTime<Utc>) -> FetchOutcome {
        let mut url = req.url.clone();
        let mut seen = HashSet::new();
        let mut all_permanent = true;
        for _hop in 0..=MAX_HOPS {
            if !seen.insert(url.clone()) {
                return FetchOutcome::Failed {
                    status: None,
                    error: FetchError::RedirectLoop(url),
                };
            }
            let mut rb = self.client.get(&url);
            if let Some(e) = &req.etag {
                rb = rb.header(header::IF_NONE_MATCH, e);
            }
            if let Some(lm) = &req.last_modified {
                rb = rb.header(header::IF_MODIFIED_SINCE, lm);
            }
            for (k, v) in &req.headers {
                rb = rb.header(k.as_str(), v.as_str());
            }
            let resp = match rb.send().await {
                Ok(r) => r,
                Err(e) => {
                    return FetchOutcome::Failed {
                        status: None,
                        error: classify(&e),
                    };
                }
            };
            let status = resp.status();
            let permanent = (all_permanent && url != req.url).then(|| url.clone());
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let Some(next) = resp
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| url::Url::parse(&url).ok()?.join(l).ok())
                else {
                    return FetchOutcome::Failed {
                        status: Some(status.as_u16()),
                        error: FetchError::BadRedirect,
                    };
                };
                all_permanent &= matches!(
                    status,
                    StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
                );
                url = next.to_string();
                continue;
            }
            let headers = resp.headers().clone();
            let max_age = cache_hint(&headers, now);
            return match status {
                StatusCode::NOT_MODIFIED => FetchOutcome::NotModified {
                    permanent_redirect: permanent,
                    max_age,
                },
                StatusCode::GONE => FetchOutcome::Gone,
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                    FetchOutcome::RateLimited {
                        status: status.as_u16(),
                        retry_after: retry_after(&headers, now),
                    }
                }
                s if s.is_success() => match read_capped(resp, self.max_body).await {
                    Ok(body) => FetchOutcome::Modified(Box::new(Fetched {
                        status: s.as_u16(),
                        body,
                        content_type: header_str(&headers, header::CONTENT_TYPE),
                        etag: header_str(&headers, header::ETAG),
                        last_modified: header_str(&headers, header::LAST_MODIFIED),
                        final_url: url,
                        permanent_redirect: permanent,
                        max_age,
                    })),
                    Err(error) => FetchOutcome::Failed {
                        status: Some(s.as_u16()),
                        error,
                    },
                },
                s => FetchOutcome::Failed {
                    status: Some(s.as_u16()),
                    error: FetchError::Status { status: s.as_u16() },
                },
            };
        }
        FetchOutcome::Failed {
            status: None,
            error: FetchError::TooManyRedirects,
        }
    }
}

fn classify(e: &reqwest::Error) -> FetchError {
    if e.is_timeout() {
        FetchError::Timeout
    } else if e.is_connect() {
        FetchError::Connect(root_cause(e))
    } else {
        FetchError::Other(root_cause(e))
    }
}

/// The innermost error message (reqwest's own is just "error sending request").
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .map(str::to_string)
}

/// Reads the body chunk by chunk, failing as soon as it exceeds `max` bytes (decoded).
async fn read_capped(mut resp: reqwest::Response, max: u64) -> Result<Vec<u8>, FetchError> {
    if resp.content_length().is_some_and(|n| n > max) {
        return Err(FetchError::TooLarge { limit: max });
    }
    let mut body = Vec::with_capacity(resp.content_length().unwrap_or(64 * 1024).min(max) as usize);
    loop {
        match resp.chunk().await {
            Ok(Some(c)) => {
                if body.len() as u64 + c.len() as u64 > max {
                    return Err(FetchError::TooLarge { limit: max });
                }
                body.extend_from_slice(&c);
            }
            Ok(None) => return Ok(body),
            Err(e) => {
                return Err(if e.is_timeout() {
                    FetchError::Timeout
                } else {
                    FetchError::Other(format!("reading body: {}", root_cause(&e)))
                });
            }
        }
    }
}

/// `Retry-After` as seconds or an HTTP date.
pub fn retry_after(h: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let v = h.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc);
    Some((when - now).to_std().unwrap_or(Duration::ZERO))
}

/// Cache-Control max-age, else Expires.
fn cache_hint(h: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    if let Some(cc) = h.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()) {
        for part in cc.split(',') {
            if let Some(n) = part.trim().strip_prefix("max-age=") {
                return n.trim().parse::<u64>().ok().map(Duration::from_secs);
            }
        }
    }
    let exp = h.get(header::EXPIRES)?.to_str().ok()?;
    let when = DateTime::parse_from_rfc2822(exp).ok()?.with_timezone(&Utc);
    (when - now).to_std().ok()
}

/// A local file: its modification time plays the part of Last-Modified.
async fn read_file(path: &Path, req: &FetchRequest, max: u64) -> FetchOutcome {
    let fail = |m: String| FetchOutcome::Failed {
        status: None,
        error: FetchError::File {
            path: path.display().to_string(),
            message: m,
        },
    };
    let meta = match tokio::fs::metadata(path).await {
        Ok(m) => m,
        Err(e) => return fail(e.to_string()),
    };
    if meta.len() > max {
        return FetchOutcome::Failed {
            status: None,
            error: FetchError::TooLarge { limit: max },
        };
    }
    let stamp = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| format!("{}.{:09}-{}", d.as_secs(), d.subsec_nanos(), meta.len()));
    if stamp.is_some() && stamp == req.last_modified {
        return FetchOutcome::NotModified {
            permanent_redirect: None,
            max_age: None,
        };
    }
    match tokio::fs::read(path).await {
        Ok(body) => FetchOutcome::Modified(Box::new(Fetched {
            status: 200,
            body,
            content_type: None,
            etag: None,
            last_modified: stamp,
            final_url: req.url.clone(),
            permanent_redirect: None,
            max_age: None,
        })),
        Err(e) => fail(e.to_string()),
    }
}
