//! The only HTTP code: a reqwest client with timeouts, a streaming body-size cap (counted after
//! decompression, so bombs stop at the cap) under a shared memory budget, conditional GET, and
//! redirects through reqwest's redirect machinery with our own policy (hop limit, loops, 301/308
//! bookkeeping, the address rules of [`guard`], and per-feed headers kept to the configured
//! origin). Also reads local files the user configured (see [`local`]). Called by the poller
//! and `feeds inspect`.

pub mod budget;
mod error;
pub mod guard;
pub mod local;
mod redirect;

use crate::config::HttpConfig;
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderValue};
use std::time::Duration;

use error::classify;
pub use error::{Cause, FetchError};

const MAX_HOPS: usize = 10;

/// What to fetch and the validators from last time.
#[derive(Clone, Default)]
pub struct FetchRequest {
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Extra headers from the feed's config (never logged); sent only to the origin of
    /// `configured` (or of `url` when that is None).
    pub headers: Vec<(String, String)>,
    /// The user wrote `url` in their own config or on the command line: local files may be
    /// read. Everything else (stored redirects, discovered feeds, OPML entries) is http(s).
    pub allow_local: bool,
    /// The address the user configured, when `url` came from elsewhere (a stored redirect,
    /// a discovered feed): private ranges are reachable only on its host.
    pub configured: Option<String>,
}

impl std::fmt::Debug for FetchRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchRequest")
            .field("url", &crate::redact::url(&self.url))
            .field("etag", &self.etag)
            .field("last_modified", &self.last_modified)
            .field("headers", &format_args!("[{} hidden]", self.headers.len()))
            .field("allow_local", &self.allow_local)
            .finish()
    }
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
    /// The body's share of the memory budget, held until this is dropped.
    pub budget: budget::Held,
}

/// The HTTP client, shared by all polls.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    resolver: guard::GuardedResolver,
    budget: budget::BodyBudget,
    max_body: u64,
    timeout: Duration,
    allow_private: bool,
}

pub use crate::crypto::install_crypto_provider;

fn outcome_err(error: FetchError) -> FetchOutcome {
    FetchOutcome::Failed {
        status: None,
        error,
    }
}

impl Fetcher {
    pub fn new(cfg: &HttpConfig) -> Result<Fetcher, FetchError> {
        install_crypto_provider();
        let resolver = guard::GuardedResolver {
            allow_private: cfg.allow_private,
            trusted: Default::default(),
        };
        let mut b = reqwest::Client::builder()
            .user_agent(cfg.user_agent.clone())
            .timeout(cfg.timeout)
            .connect_timeout(cfg.connect_timeout)
            .redirect(redirect::policy())
            // The previous address (with its query tokens) is nobody else's business.
            .referer(false)
            .dns_resolver(std::sync::Arc::new(resolver.clone()))
            .pool_max_idle_per_host(cfg.per_host_concurrency.max(2))
            .tcp_nodelay(true);
        if let Some(p) = &cfg.proxy {
            if let Some(h) = url::Url::parse(p)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
            {
                resolver.trust(&h);
            }
            b = b.proxy(reqwest::Proxy::all(p).map_err(|e| FetchError::Client {
                what: "bad proxy",
                source: Cause::new(e),
            })?);
        }
        let client = b.build().map_err(|e| FetchError::Client {
            what: "HTTP client",
            source: Cause::new(e),
        })?;
        Ok(Fetcher {
            client,
            resolver,
            budget: budget::BodyBudget::for_max_body(cfg.max_body),
            max_body: cfg.max_body,
            timeout: cfg.timeout,
            allow_private: cfg.allow_private,
        })
    }

    /// Fetches `req.url` (http, https; local files only when `req.allow_local`).
    pub async fn fetch(&self, req: &FetchRequest, now: DateTime<Utc>) -> FetchOutcome {
        let url = match url::Url::parse(&req.url) {
            Ok(u) => u,
            Err(source) => return outcome_err(FetchError::BadUrl { source }),
        };
        let configured = match req.configured.as_deref().map(url::Url::parse) {
            None => url.clone(),
            Some(Ok(c)) => c,
            Some(Err(source)) => return outcome_err(FetchError::BadUrl { source }),
        };
        if url.scheme() == "file" && req.allow_local {
            return match url.to_file_path() {
                Ok(p) => local::read(&p, req, self.max_body, self.timeout).await,
                Err(()) => outcome_err(FetchError::BadFileUrl(crate::redact::url(&req.url))),
            };
        }
        if let Err(r) = guard::check_remote(&url, &configured, self.allow_private) {
            return outcome_err(r.into());
        }
        if let Some(h) = configured.host_str() {
            self.resolver.trust(h);
        }
        self.fetch_http(req, url, configured, now).await
    }

    async fn fetch_http(
        &self,
        req: &FetchRequest,
        url: url::Url,
        configured: url::Url,
        now: DateTime<Utc>,
    ) -> FetchOutcome {
        let log = redirect::HopLog::new(configured.clone(), self.allow_private);
        match self.send_following(req, url, &configured, &log).await {
            Ok(resp) => self.outcome_of(resp, log.permanent(), now).await,
            Err(failed) => failed,
        }
    }

    /// Sends the request, following redirects under the hop policy; a failure is the outcome.
    async fn send_following(
        &self,
        req: &FetchRequest,
        url: url::Url,
        configured: &url::Url,
        log: &redirect::HopLog,
    ) -> Result<reqwest::Response, FetchOutcome> {
        let mut next = url;
        // At most two rounds: with the per-feed headers while on the configured origin, then
        // (after a hop to another origin) without them.
        loop {
            let scoped = !req.headers.is_empty() && guard::same_origin(&next, configured);
            log.begin_round(scoped);
            let mut rb = self.client.get(next.clone());
            if let Some(e) = &req.etag {
                rb = rb.header(header::IF_NONE_MATCH, e);
            }
            if let Some(lm) = &req.last_modified {
                rb = rb.header(header::IF_MODIFIED_SINCE, lm);
            }
            if scoped {
                for (k, v) in &req.headers {
                    rb = rb.header(k.as_str(), v.as_str());
                }
            }
            let resp = match log.scope(rb.send()).await {
                Ok(r) => r,
                Err(e) => {
                    return Err(outcome_err(
                        log.take_refusal().unwrap_or_else(|| classify(e)),
                    ));
                }
            };
            let status = resp.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                // The policy stopped at a hop to another origin: go on without the headers.
                let Some(to) = resp
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| resp.url().join(l).ok())
                else {
                    return Err(FetchOutcome::Failed {
                        status: Some(status.as_u16()),
                        error: FetchError::BadRedirect,
                    });
                };
                if !scoped {
                    return Err(FetchOutcome::Failed {
                        status: Some(status.as_u16()),
                        error: FetchError::BadRedirect,
                    });
                }
                if let Err(e) = log.manual_hop(status, resp.url(), &to) {
                    return Err(outcome_err(e));
                }
                next = to;
                continue;
            }
            return Ok(resp);
        }
    }

    /// What a final response means: not modified, gone, rate limited, a body, or a failure.
    async fn outcome_of(
        &self,
        resp: reqwest::Response,
        permanent: bool,
        now: DateTime<Utc>,
    ) -> FetchOutcome {
        let status = resp.status();
        let final_url = resp.url().to_string();
        let permanent = permanent.then(|| final_url.clone());
        let headers = resp.headers().clone();
        let max_age = cache_hint(&headers, now);
        match status {
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
            s if s.is_success() => match read_capped(resp, self.max_body, &self.budget).await {
                Ok((body, budget)) => FetchOutcome::Modified(Box::new(Fetched {
                    status: s.as_u16(),
                    body,
                    content_type: header_str(&headers, header::CONTENT_TYPE),
                    etag: header_str(&headers, header::ETAG),
                    last_modified: header_str(&headers, header::LAST_MODIFIED),
                    final_url,
                    permanent_redirect: permanent,
                    max_age,
                    budget,
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
        }
    }
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .map(str::to_string)
}

/// Reads the body chunk by chunk under the memory budget, failing as soon as it exceeds `max`
/// bytes (decoded).
async fn read_capped(
    mut resp: reqwest::Response,
    max: u64,
    budget: &budget::BodyBudget,
) -> Result<(Vec<u8>, budget::Held), FetchError> {
    if resp.content_length().is_some_and(|n| n > max) {
        return Err(FetchError::TooLarge { limit: max });
    }
    // Content-Length is the compressed size; a compressed body may grow past it.
    let expected = resp.content_length().unwrap_or(budget::SMALL).min(max);
    let mut share = expected.max(budget::SMALL).min(max.max(budget::SMALL));
    let mut held = budget.acquire(share).await;
    let mut body = Vec::with_capacity(expected as usize);
    loop {
        match resp.chunk().await {
            Ok(Some(c)) => {
                let len = body.len() as u64 + c.len() as u64;
                if len > max {
                    return Err(FetchError::TooLarge { limit: max });
                }
                if len > share {
                    // Give the small share back before waiting for a full one.
                    drop(std::mem::take(&mut held));
                    share = max;
                    held = budget.acquire(share).await;
                }
                body.extend_from_slice(&c);
            }
            Ok(None) => return Ok((body, held)),
            Err(e) => {
                return Err(if e.is_timeout() {
                    FetchError::Timeout
                } else {
                    FetchError::Body(Cause::new(e))
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
