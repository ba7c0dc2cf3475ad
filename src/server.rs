//! The tiny HTTP/1.1 server for operators: `GET|HEAD /healthz` (scheduler liveness and a
//! database ping, JSON, 200 or 503) and `GET|HEAD /metrics` ([`Metrics::render`], Prometheus
//! text). Hand-rolled on tokio: one task per connection, one request per connection
//! (`Connection: close`), request head capped at 8 KiB and read within 2 s, at most 16
//! connections at once, and only clients in `[server] allow` (default: loopback) are served —
//! others are closed at accept, before they can hold a slot. Garbage input gets a 4xx or a
//! closed socket, never a panic.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinSet;
use tokio::time::timeout;

use crate::metrics::Metrics;

/// Largest request head (request line + headers) accepted; larger gets 431.
pub const MAX_HEAD_BYTES: usize = 8 * 1024;
/// Time a client has to send its whole request head; slower gets 408.
pub const READ_TIMEOUT: Duration = Duration::from_secs(2);
/// Time allowed for writing the response.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Time the database ping may take before /healthz calls it failed.
pub const DATABASE_CHECK_TIMEOUT: Duration = Duration::from_secs(2);
/// Connections served at once; further ones wait in the kernel's accept backlog. Low: the
/// readers are a monitoring agent or two, and each request is answered from memory.
pub const MAX_CONNECTIONS: usize = 16;
/// After shutdown, how long in-flight connections may take to finish before being dropped.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
const JSON_CONTENT_TYPE: &str = "application/json";
const TEXT_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// What /healthz checks; implemented by the app.
pub trait Health: Send + Sync + 'static {
    /// Seconds since the scheduler loop last reported it is alive.
    fn scheduler_age_secs(&self) -> u64;
    /// Whether the database answers (the app pings its store thread); async. Bounded by
    /// [`DATABASE_CHECK_TIMEOUT`] here, so it need not time out itself.
    fn database_ok(&self) -> Pin<Box<dyn Future<Output = bool> + Send + '_>>;
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// /healthz reports unhealthy once the scheduler has been silent longer than this.
    pub max_scheduler_age_secs: u64,
    /// Client networks served; others are closed at accept.
    pub allow: Vec<ipnet::IpNet>,
}

/// Whether `ip` (IPv4-mapped IPv6 counted as IPv4) is in one of `allow`.
pub fn allowed(allow: &[ipnet::IpNet], ip: std::net::IpAddr) -> bool {
    let ip = match ip {
        std::net::IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map_or(std::net::IpAddr::V6(v6), std::net::IpAddr::V4),
        v4 => v4,
    };
    allow.iter().any(|n| n.contains(&ip))
}

struct Ctx {
    max_scheduler_age_secs: u64,
    metrics: Arc<Metrics>,
    health: Arc<dyn Health>,
}

/// Binds and serves until `shutdown` resolves. Returns the bound address (port 0 allowed)
/// through the `ready` oneshot so tests can connect. Errors only if binding fails (then
/// `ready` is dropped unsent); accept errors are logged and retried.
pub async fn serve(
    cfg: ServerConfig,
    metrics: Arc<Metrics>,
    health: Arc<dyn Health>,
    ready: oneshot::Sender<SocketAddr>,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(cfg.listen).await?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "HTTP server listening (/healthz, /metrics)");
    let _ = ready.send(addr);
    let ctx = Arc::new(Ctx {
        max_scheduler_age_secs: cfg.max_scheduler_age_secs,
        metrics,
        health,
    });
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut conns = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        // Reap finished connection tasks so the set does not grow without bound.
        while conns.try_join_next().is_some() {}
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = slots.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break, // the semaphore is never closed
            },
        };
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) if !allowed(&cfg.allow, peer.ip()) => {
                // Not ours to serve (see [server] allow): closed before reading anything.
                tracing::debug!(%peer, "HTTP client not in [server] allow; closed");
                let _ = stream.try_write(
                    b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                drop((stream, permit));
            }
            Ok((stream, peer)) => {
                let ctx = ctx.clone();
                conns.spawn(async move {
                    handle_connection(stream, &ctx).await;
                    tracing::trace!(%peer, "HTTP connection closed");
                    drop(permit);
                });
            }
            Err(e) => {
                // Typically EMFILE; back off briefly instead of spinning.
                tracing::warn!(error = %e, "HTTP accept failed");
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(Duration::from_millis(100)) => {}
                }
            }
        }
    }
    drop(listener);
    let _ = timeout(SHUTDOWN_GRACE, async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    conns.abort_all();
    tracing::info!(%addr, "HTTP server stopped");
    Ok(())
}

/// Why a request head could not be read.
enum HeadError {
    /// The peer closed (or reset) before sending anything useful: nothing to answer.
    Closed,
    /// The peer closed mid-head.
    Truncated,
    TooLarge,
}

/// A response about to be written.
struct Response {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    allow: bool,
}

impl Response {
    fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Response {
            status,
            content_type,
            body: body.into(),
            allow: false,
        }
    }

    fn text(status: u16, body: &str) -> Self {
        Self::new(status, TEXT_CONTENT_TYPE, format!("{body}\n"))
    }
}

async fn handle_connection(mut stream: TcpStream, ctx: &Ctx) {
    let _ = stream.set_nodelay(true);
    let (response, head_only) = match timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Err(_) => (Response::text(408, "request timeout"), false),
        Ok(Err(HeadError::Closed)) => return,
        Ok(Err(HeadError::Truncated)) => (Response::text(400, "bad request"), false),
        Ok(Err(HeadError::TooLarge)) => (Response::text(431, "request header too large"), false),
        Ok(Ok(head)) => respond(&head, ctx).await,
    };
    let bytes = encode(&response, head_only);
    match timeout(WRITE_TIMEOUT, stream.write_all(&bytes)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "HTTP write failed");
            return;
        }
        Err(_) => return,
    }
    linger_close(stream).await;
}

/// Closes politely: send FIN, then discard whatever the client still sends (briefly, bounded)
/// so the kernel does not answer unread input with a RST that could destroy the response.
async fn linger_close(mut stream: TcpStream) {
    if stream.shutdown().await.is_err() {
        return;
    }
    let mut buf = [0u8; 4096];
    let mut budget = 64 * 1024usize;
    let drain = async {
        while budget > 0 {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => budget = budget.saturating_sub(n),
            }
        }
    };
    let _ = timeout(Duration::from_secs(1), drain).await;
}

/// Reads up to the blank line ending the head; returns the head without it. Bytes after it (a
/// body, pipelined requests) are ignored: every connection serves one request.
async fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, HeadError> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        let n = match stream.read(&mut chunk).await {
            Ok(0) | Err(_) if buf.is_empty() => return Err(HeadError::Closed),
            Ok(0) | Err(_) => return Err(HeadError::Truncated),
            Ok(n) => n,
        };
        let searched_from = buf.len().saturating_sub(3);
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = find_head_end(&buf[searched_from..]) {
            buf.truncate(searched_from + end);
            if buf.len() > MAX_HEAD_BYTES {
                return Err(HeadError::TooLarge);
            }
            return Ok(buf);
        }
        if buf.len() > MAX_HEAD_BYTES {
            return Err(HeadError::TooLarge);
        }
    }
}

/// Position of the end of the head: `\r\n\r\n`, or a bare `\n\n` (tolerated).
fn find_head_end(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).enumerate().find_map(|(i, w)| match w {
        b"\n\n" => Some(i),
        b"\n\r" if bytes.get(i + 2) == Some(&b'\n') => Some(i),
        _ => None,
    })
}

/// Parses the request line and routes it. Returns the response and whether it answers HEAD.
async fn respond(head: &[u8], ctx: &Ctx) -> (Response, bool) {
    let Some((method, path)) = parse_request_line(head) else {
        return (Response::text(400, "bad request"), false);
    };
    let head_only = method == "HEAD";
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    let response = match path {
        "/healthz" | "/metrics" if method != "GET" && !head_only => Response {
            allow: true,
            ..Response::text(405, "method not allowed")
        },
        "/healthz" => healthz(ctx).await,
        "/metrics" => Response::new(200, METRICS_CONTENT_TYPE, ctx.metrics.render()),
        _ => Response::text(404, "not found"),
    };
    (response, head_only)
}

/// `METHOD SP target SP HTTP/1.x`; headers are not needed (and not validated beyond being
/// within the size limit). `None` for anything malformed.
fn parse_request_line(head: &[u8]) -> Option<(&str, &str)> {
    let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let line = std::str::from_utf8(&head[..line_end]).ok()?;
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut parts = line.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    };
    let target_ok = target.starts_with('/') && target.bytes().all(|b| b.is_ascii_graphic());
    if !token(method) || !target_ok || !matches!(version, "HTTP/1.0" | "HTTP/1.1") {
        return None;
    }
    Some((method, target))
}

#[derive(Serialize)]
struct HealthBody {
    status: &'static str,
    scheduler_age_secs: u64,
    database: &'static str,
    /// The failed checks ("scheduler", "database"); omitted when healthy.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    failed: Vec<&'static str>,
}

async fn healthz(ctx: &Ctx) -> Response {
    let age = ctx.health.scheduler_age_secs();
    let database = match timeout(DATABASE_CHECK_TIMEOUT, ctx.health.database_ok()).await {
        Ok(true) => "ok",
        Ok(false) => "error",
        Err(_) => "timeout",
    };
    let mut failed = Vec::new();
    if age > ctx.max_scheduler_age_secs {
        failed.push("scheduler");
    }
    if database != "ok" {
        failed.push("database");
    }
    let healthy = failed.is_empty();
    let body = HealthBody {
        status: if healthy { "ok" } else { "unhealthy" },
        scheduler_age_secs: age,
        database,
        failed,
    };
    match serde_json::to_vec(&body) {
        Ok(json) => Response::new(if healthy { 200 } else { 503 }, JSON_CONTENT_TYPE, json),
        Err(_) => Response::text(500, "internal error"),
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        403 => "Forbidden",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    }
}

/// Serialises the response; HEAD gets the GET headers (same Content-Length) without the body.
fn encode(r: &Response, head_only: bool) -> Vec<u8> {
    let allow = if r.allow { "Allow: GET, HEAD\r\n" } else { "" };
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{allow}\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        r.status,
        reason(r.status),
        r.content_type,
        r.body.len(),
    );
    let mut out = head.into_bytes();
    if !head_only {
        out.extend_from_slice(&r.body);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list() {
        let lo = crate::config::loopback_only();
        assert!(allowed(&lo, "127.0.0.1".parse().unwrap()));
        assert!(allowed(&lo, "::1".parse().unwrap()));
        assert!(allowed(&lo, "::ffff:127.0.0.1".parse().unwrap()));
        assert!(!allowed(&lo, "10.0.0.5".parse().unwrap()));
        let lan: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        assert!(allowed(&lan, "::ffff:10.1.2.3".parse().unwrap()));
    }

    #[test]
    fn request_line_parsing() {
        assert_eq!(
            parse_request_line(b"GET /metrics HTTP/1.1\r\nHost: x\r"),
            Some(("GET", "/metrics"))
        );
        assert_eq!(
            parse_request_line(b"HEAD /healthz?x=1 HTTP/1.0"),
            Some(("HEAD", "/healthz?x=1"))
        );
        for bad in [
            &b""[..],
            b"GET /metrics",
            b"GET  /metrics HTTP/1.1",
            b"GET /metrics HTTP/2.0",
            b"GET metrics HTTP/1.1",
            b"GE(T /metrics HTTP/1.1",
            b"GET /met\xffrics HTTP/1.1",
            b"GET /metrics HTTP/1.1 extra",
        ] {
            assert_eq!(
                parse_request_line(bad),
                None,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn head_end_detection() {
        assert_eq!(
            find_head_end(b"GET / HTTP/1.1\r\nA: b\r\n\r\nbody"),
            Some(21)
        );
        assert_eq!(find_head_end(b"GET / HTTP/1.1\n\n"), Some(14));
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\nA: b\r\n"), None);
    }

    #[test]
    fn head_response_has_no_body_but_full_length() {
        let r = Response::text(404, "not found");
        let get = String::from_utf8(encode(&r, false)).unwrap();
        let head = String::from_utf8(encode(&r, true)).unwrap();
        assert!(get.ends_with("\r\n\r\nnot found\n"));
        assert!(head.ends_with("\r\n\r\n"));
        assert!(head.contains("Content-Length: 10\r\n"));
    }
}
