//! Black-box tests of the /healthz + /metrics server over raw TCP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chipwatch::metrics::Metrics;
use chipwatch::server::{Health, ServerConfig, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

struct FakeHealth {
    age: AtomicU64,
    db_ok: AtomicBool,
    db_hangs: AtomicBool,
}

impl Health for FakeHealth {
    fn scheduler_age_secs(&self) -> u64 {
        self.age.load(Ordering::SeqCst)
    }
    fn database_ok(&self) -> Pin<Box<dyn Future<Output = bool> + Send + '_>> {
        Box::pin(async move {
            if self.db_hangs.load(Ordering::SeqCst) {
                std::future::pending::<()>().await;
            }
            tokio::task::yield_now().await;
            self.db_ok.load(Ordering::SeqCst)
        })
    }
}

struct Server {
    addr: SocketAddr,
    health: Arc<FakeHealth>,
    metrics: Arc<Metrics>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start() -> Server {
    let health = Arc::new(FakeHealth {
        age: AtomicU64::new(3),
        db_ok: AtomicBool::new(true),
        db_hangs: AtomicBool::new(false),
    });
    let metrics = Arc::new(Metrics::new());
    let (ready_tx, ready_rx) = oneshot::channel();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let cfg = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        max_scheduler_age_secs: 60,
        allow: chipwatch::config::loopback_only(),
    };
    let task = tokio::spawn(serve(
        cfg,
        metrics.clone(),
        health.clone(),
        ready_tx,
        async move {
            let _ = stop_rx.await;
        },
    ));
    let addr = ready_rx.await.unwrap();
    Server {
        addr,
        health,
        metrics,
        stop: Some(stop_tx),
        task,
    }
}

/// Sends raw bytes, returns everything the server sent until it closed.
async fn raw(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    send(addr, request, false).await
}

/// Like `raw`, then half-closes (EOF) so the server sees the end of input.
async fn send(addr: SocketAddr, request: &[u8], eof: bool) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    if eof {
        s.shutdown().await.unwrap();
    }
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out))
        .await
        .unwrap();
    out
}

struct Reply {
    status: u16,
    headers: String,
    body: String,
}

async fn request(addr: SocketAddr, request: &str) -> Reply {
    let out = String::from_utf8(raw(addr, request.as_bytes()).await).unwrap();
    let (headers, body) = out.split_once("\r\n\r\n").unwrap();
    let status = headers[9..12].parse().unwrap();
    assert!(headers.starts_with("HTTP/1.1 "), "{headers}");
    Reply {
        status,
        headers: headers.to_string(),
        body: body.to_string(),
    }
}

async fn get(addr: SocketAddr, path: &str) -> Reply {
    request(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n"),
    )
    .await
}

#[tokio::test]
async fn healthz_ok_and_unhealthy() {
    let s = start().await;
    let r = get(s.addr, "/healthz").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.headers.contains("Content-Type: application/json"));
    assert_eq!(
        r.body,
        r#"{"status":"ok","scheduler_age_secs":3,"database":"ok"}"#
    );

    s.health.age.store(61, Ordering::SeqCst);
    let r = get(s.addr, "/healthz").await;
    assert_eq!(r.status, 503);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["status"], "unhealthy");
    assert_eq!(v["scheduler_age_secs"], 61);
    assert_eq!(v["database"], "ok");
    assert_eq!(v["failed"], serde_json::json!(["scheduler"]));

    s.health.age.store(60, Ordering::SeqCst);
    s.health.db_ok.store(false, Ordering::SeqCst);
    let r = get(s.addr, "/healthz?verbose=1").await;
    assert_eq!(r.status, 503);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["database"], "error");
    assert_eq!(v["failed"], serde_json::json!(["database"]));
}

#[tokio::test]
async fn healthz_database_timeout_is_unhealthy() {
    let s = start().await;
    s.health.db_hangs.store(true, Ordering::SeqCst);
    let t = Instant::now();
    let r = get(s.addr, "/healthz").await;
    assert_eq!(r.status, 503);
    assert!(t.elapsed() < Duration::from_secs(4));
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["database"], "timeout");
}

#[tokio::test]
async fn metrics_content_type_and_body() {
    let s = start().await;
    s.metrics.record_match("entity-list", 2);
    let r = get(s.addr, "/metrics").await;
    assert_eq!(r.status, 200);
    assert!(
        r.headers
            .contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n")
    );
    assert!(r.headers.contains("Connection: close"));
    assert!(r.body.contains("\nchipwatch_up 1\n"));
    assert!(
        r.body
            .contains("chipwatch_matches_total{rule=\"entity-list\"} 2\n")
    );
    let len: usize = r
        .headers
        .split("Content-Length: ")
        .nth(1)
        .unwrap()
        .split("\r\n")
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(len, r.body.len());

    let h = request(s.addr, "HEAD /metrics HTTP/1.1\r\n\r\n").await;
    assert_eq!(h.status, 200);
    assert!(h.body.is_empty());
    assert!(h.headers.contains("Content-Length: "));
}

#[tokio::test]
async fn not_found_and_method_not_allowed() {
    let s = start().await;
    assert_eq!(get(s.addr, "/").await.status, 404);
    assert_eq!(get(s.addr, "/metrics/x").await.status, 404);
    let r = request(
        s.addr,
        "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
    )
    .await;
    assert_eq!(r.status, 405);
    assert!(r.headers.contains("Allow: GET, HEAD"));
    assert_eq!(
        request(s.addr, "DELETE /healthz HTTP/1.1\r\n\r\n")
            .await
            .status,
        405
    );
}

#[tokio::test]
async fn garbage_gets_400_or_close_and_server_survives() {
    let s = start().await;
    for junk in [
        &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"[..],
        b"hello\r\n\r\n",
        b"GET\r\n\r\n",
        b"GET /metrics HTTP/9.9\r\n\r\n",
        b"\xff\xfe\xfd\n\n",
        b"\r\n\r\n",
        b"GET /metrics HTTP/1.1\r\n", // then EOF mid-head
        b"",
    ] {
        let out = send(s.addr, junk, true).await;
        assert!(
            out.is_empty() || out.starts_with(b"HTTP/1.1 400 "),
            "{}",
            String::from_utf8_lossy(&out)
        );
    }
    assert_eq!(get(s.addr, "/metrics").await.status, 200);
}

#[tokio::test]
async fn oversize_headers_get_431_or_close() {
    let s = start().await;
    let big = format!(
        "GET /metrics HTTP/1.1\r\nX-Big: {}\r\n\r\n",
        "a".repeat(9000)
    );
    let out = raw(s.addr, big.as_bytes()).await;
    assert!(
        out.starts_with(b"HTTP/1.1 431 "),
        "{}",
        String::from_utf8_lossy(&out)
    );
    // Endless header stream without a terminator: answered/closed, not buffered forever.
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    let line = b"X-Junk: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    let mut sent = 0;
    while sent < 1_000_000 {
        if c.write_all(line).await.is_err() {
            break;
        }
        sent += line.len();
    }
    assert!(sent < 1_000_000, "server kept reading");
    assert_eq!(get(s.addr, "/metrics").await.status, 200);
}

#[tokio::test]
async fn slow_client_times_out() {
    let s = start().await;
    let t = Instant::now();
    let out = raw(s.addr, b"GET /metrics HTTP/1.1\r\nHost: x\r\n").await;
    assert!(
        out.starts_with(b"HTTP/1.1 408 "),
        "{}",
        String::from_utf8_lossy(&out)
    );
    assert!(t.elapsed() >= Duration::from_millis(1900) && t.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_connections_while_slow_clients_idle() {
    let s = start().await;
    // Idle clients (fewer than the connection cap) hold connections but don't block others.
    let mut idle = Vec::new();
    for _ in 0..chipwatch::server::MAX_CONNECTIONS - 4 {
        idle.push(TcpStream::connect(s.addr).await.unwrap());
    }
    let t = Instant::now();
    let clients: Vec<_> = (0..200)
        .map(|i| {
            let addr = s.addr;
            tokio::spawn(async move {
                get(addr, if i % 2 == 0 { "/metrics" } else { "/healthz" })
                    .await
                    .status
            })
        })
        .collect();
    for c in clients {
        assert_eq!(c.await.unwrap(), 200);
    }
    assert!(t.elapsed() < Duration::from_secs(4));
    drop(idle);
}

#[tokio::test]
async fn clients_outside_the_allow_list_are_closed_at_once() {
    let health: Arc<dyn Health> = Arc::new(FakeHealth {
        age: AtomicU64::new(0),
        db_ok: AtomicBool::new(true),
        db_hangs: AtomicBool::new(false),
    });
    let (ready_tx, ready_rx) = oneshot::channel();
    let (_stop_tx, stop_rx) = oneshot::channel::<()>();
    let cfg = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        max_scheduler_age_secs: 60,
        allow: vec!["10.0.0.0/8".parse().unwrap()],
    };
    tokio::spawn(serve(
        cfg,
        Arc::new(Metrics::new()),
        health,
        ready_tx,
        async move {
            let _ = stop_rx.await;
        },
    ));
    let addr = ready_rx.await.unwrap();
    // Many idle connections from outside the list hold no slot: each is closed at once.
    let mut idle = Vec::new();
    for _ in 0..64 {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    let t = Instant::now();
    // A 403, or a reset if the request crossed the close: never the metrics.
    let mut c = TcpStream::connect(addr).await.unwrap();
    let _ = c
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), c.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out);
    assert!(
        out.is_empty() || text.starts_with("HTTP/1.1 403 "),
        "{text}"
    );
    assert!(t.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let mut s = start().await;
    assert_eq!(get(s.addr, "/healthz").await.status, 200);
    let _ = s.stop.take().unwrap().send(());
    let res = tokio::time::timeout(Duration::from_secs(5), &mut s.task)
        .await
        .unwrap()
        .unwrap();
    assert!(res.is_ok());
    assert!(TcpStream::connect(s.addr).await.is_err());
}

#[tokio::test]
async fn bind_failure_is_an_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let cfg = ServerConfig {
        listen: taken.local_addr().unwrap(),
        max_scheduler_age_secs: 60,
        allow: chipwatch::config::loopback_only(),
    };
    let health: Arc<dyn Health> = Arc::new(FakeHealth {
        age: AtomicU64::new(0),
        db_ok: AtomicBool::new(true),
        db_hangs: AtomicBool::new(false),
    });
    let (tx, rx) = oneshot::channel();
    let res = serve(
        cfg,
        Arc::new(Metrics::new()),
        health,
        tx,
        std::future::pending(),
    )
    .await;
    assert!(res.is_err());
    assert!(rx.await.is_err());
}
