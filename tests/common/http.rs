//! Loopback HTTP/1.1 fixture server for integration tests (owned by the test-server helper; edit with care).
//!
//! `FeedServer::start()` binds `127.0.0.1:0` and serves from its own background thread with its own
//! tokio runtime, so it works from plain `#[test]` and from `#[tokio::test]` alike. Dropping the
//! server stops the runtime and closes every connection.
//!
//! Routing: a request target is looked up exactly (`/feed?x=1`); if that is not registered, the
//! query string is stripped and the path is looked up (`/feed`). Stats (`hits`, `requests`) are kept
//! under the key that was looked up last (the path without query when nothing matched). Paths given
//! to the API may omit the leading `/`.
//!
//! Content vs. behaviour: `set_feed`/`set_raw` set a path's content and reset its behaviour to
//! normal. `set_behaviour` changes how the current content is served and keeps the content
//! (`Delay`, `Trickle` and `CloseMidBody` serve that content; without content `Delay` yields 404 and
//! `Trickle`/`CloseMidBody` use a built-in ~64 KiB RSS filler). `clear_behaviour` goes back to normal.
//!
//! Hits and request headers are recorded *before* the response is written, so once a client has
//! seen a response the counters already include it (no polling needed).
//!
//! Connections: keep-alive with pipelining, `Connection: close` honoured (HTTP/1.0 closes unless it
//! asks for keep-alive). Fault behaviours (`Trickle`, `CloseMidBody`, `Endless`) close the connection
//! after the response. Only GET and HEAD; other methods get 405 and the connection is closed.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

/// Last-Modified of version `v` of a feed is `BASE_LAST_MODIFIED + v` seconds (2024-01-01T00:00:00Z + v).
pub const BASE_LAST_MODIFIED: u64 = 1_704_067_200;

const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Counts of responses sent for a path, by status class.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Hits {
    /// 200 responses.
    pub ok: usize,
    /// 304 responses.
    pub not_modified: usize,
    /// Everything else (404, 429, redirects, 5xx...).
    pub other: usize,
}

/// Special ways of serving a path.
#[derive(Clone, Debug, PartialEq)]
pub enum Behaviour {
    /// Send the headers (with the full Content-Length) at once, then the body one byte at a time,
    /// `bytes_per_sec` bytes per second (0 is treated as 1). Connection closed afterwards.
    Trickle { bytes_per_sec: usize },
    /// 200 with the full Content-Length, send half the body, then close the connection.
    CloseMidBody,
    /// 200, `Transfer-Encoding: chunked`, an endless `<rss>` document of garbage items, until the
    /// client goes away.
    Endless,
    /// 200, `Content-Encoding: gzip`, body = gzip of `decoded_bytes` zero bytes (built once, in
    /// `set_behaviour`). Content-Type is the path's feed content type, else `application/rss+xml`.
    GzipBomb { decoded_bytes: usize },
    /// Redirect with this status (301/302/303/307/308) and `Location` sent verbatim.
    RedirectTo { status: u16, location: String },
    /// Sleep, then serve the path's content normally (conditional GET included; 404 if none).
    Delay { millis: u64 },
}

/// Handle to a running loopback HTTP server. Stops when dropped.
pub struct FeedServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FeedServer {
    /// Bind `127.0.0.1:0` and start serving on a background thread.
    #[allow(clippy::expect_used)]
    pub fn start() -> FeedServer {
        let std_listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("FeedServer: bind 127.0.0.1:0");
        std_listener
            .set_nonblocking(true)
            .expect("FeedServer: set_nonblocking");
        let addr = std_listener.local_addr().expect("FeedServer: local_addr");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("FeedServer: build tokio runtime");
        let state = Arc::new(Mutex::new(State::default()));
        let (tx, rx) = oneshot::channel::<()>();
        let thread_state = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name(format!("feed-server-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(std_listener) {
                        Ok(l) => l,
                        Err(e) => {
                            eprintln!("FeedServer: cannot register listener: {e}");
                            return;
                        }
                    };
                    let accept_loop = async {
                        loop {
                            match listener.accept().await {
                                Ok((stream, _)) => {
                                    let st = Arc::clone(&thread_state);
                                    tokio::spawn(handle_connection(stream, st));
                                }
                                Err(e) => {
                                    // e.g. EMFILE: back off briefly instead of spinning.
                                    eprintln!("FeedServer: accept failed: {e}");
                                    tokio::time::sleep(Duration::from_millis(10)).await;
                                }
                            }
                        }
                    };
                    tokio::select! {
                        _ = accept_loop => {}
                        _ = rx => {}
                    }
                });
                // Dropping the runtime here cancels all connection tasks and closes their sockets.
                drop(runtime);
            })
            .expect("FeedServer: spawn thread");
        FeedServer {
            addr,
            state,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/path` (a missing leading `/` is added).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, norm(path))
    }

    /// Serve `body` at `path` (200, Content-Type, strong ETag from a hash of the body,
    /// Last-Modified = `BASE_LAST_MODIFIED` + per-path version, bumped only when body or content type
    /// changes). Conditional GET: If-None-Match (`*`, a list, weak or strong tags) takes precedence;
    /// otherwise If-Modified-Since >= Last-Modified gives 304 (with ETag and Last-Modified, no body).
    /// Resets the path's behaviour to normal.
    pub fn set_feed(&self, path: &str, body: impl Into<Vec<u8>>, content_type: &str) {
        let key = norm(path);
        let body: Arc<[u8]> = body.into().into();
        let mut st = self.lock();
        let unchanged = matches!(
            st.routes.get(&key).and_then(|r| r.content.as_ref()),
            Some(Content::Feed { body: b, content_type: ct, .. }) if **b == *body && ct == content_type
        );
        let version = st.versions.entry(key.clone()).or_insert(0);
        if !unchanged {
            *version += 1;
        }
        let version = *version;
        let content = Content::Feed {
            etag: etag_for(&body),
            last_modified: BASE_LAST_MODIFIED + version,
            body,
            content_type: content_type.to_string(),
        };
        st.routes.insert(
            key,
            Route {
                content: Some(content),
                behaviour: None,
            },
        );
    }

    /// Serve a fixed response at `path`: `status`, `headers` verbatim, `body`. No conditional logic.
    /// `Content-Length` is added unless `headers` contains one (and never for 1xx/204/304).
    /// Resets the path's behaviour to normal.
    pub fn set_raw(
        &self,
        path: &str,
        status: u16,
        headers: &[(&str, &str)],
        body: impl Into<Vec<u8>>,
    ) {
        let content = Content::Raw {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.into().into(),
        };
        self.lock().routes.insert(
            norm(path),
            Route {
                content: Some(content),
                behaviour: None,
            },
        );
    }

    /// Set a special behaviour for `path`, keeping its content (see module docs).
    pub fn set_behaviour(&self, path: &str, b: Behaviour) {
        let special = match b {
            Behaviour::Trickle { bytes_per_sec } => Special::Trickle(bytes_per_sec.max(1)),
            Behaviour::CloseMidBody => Special::CloseMidBody,
            Behaviour::Endless => Special::Endless,
            Behaviour::GzipBomb { decoded_bytes } => {
                Special::GzipBomb(gzip_of_zeros(decoded_bytes).into())
            }
            Behaviour::RedirectTo { status, location } => Special::Redirect(status, location),
            Behaviour::Delay { millis } => Special::Delay(millis),
        };
        self.lock().routes.entry(norm(path)).or_default().behaviour = Some(special);
    }

    /// Back to serving the path's content normally.
    pub fn clear_behaviour(&self, path: &str) {
        if let Some(r) = self.lock().routes.get_mut(&norm(path)) {
            r.behaviour = None;
        }
    }

    /// Forget content and behaviour: the path answers 404. Stats and the version counter are kept.
    pub fn remove(&self, path: &str) {
        self.lock().routes.remove(&norm(path));
    }

    /// Responses sent for `path` so far, by status class.
    pub fn hits(&self, path: &str) -> Hits {
        self.lock()
            .stats
            .get(&norm(path))
            .map(|s| s.hits)
            .unwrap_or_default()
    }

    /// Request headers of every request for `path`, in arrival order; names lower-cased, values
    /// trimmed, header order preserved.
    pub fn requests(&self, path: &str) -> Vec<Vec<(String, String)>> {
        self.lock()
            .stats
            .get(&norm(path))
            .map(|s| s.requests.clone())
            .unwrap_or_default()
    }

    /// The current ETag of a feed set with `set_feed` (None for raw/absent paths).
    pub fn etag(&self, path: &str) -> Option<String> {
        match self.lock().routes.get(&norm(path))?.content.as_ref()? {
            Content::Feed { etag, .. } => Some(etag.clone()),
            Content::Raw { .. } => None,
        }
    }

    /// The current Last-Modified (HTTP date) of a feed set with `set_feed`.
    pub fn last_modified(&self, path: &str) -> Option<String> {
        match self.lock().routes.get(&norm(path))?.content.as_ref()? {
            Content::Feed { last_modified, .. } => Some(http_date(*last_modified)),
            Content::Raw { .. } => None,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

impl Drop for FeedServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// State

#[derive(Default)]
struct State {
    routes: HashMap<String, Route>,
    versions: HashMap<String, u64>,
    stats: HashMap<String, PathStats>,
}

#[derive(Default)]
struct Route {
    content: Option<Content>,
    behaviour: Option<Special>,
}

enum Content {
    Feed {
        body: Arc<[u8]>,
        content_type: String,
        etag: String,
        last_modified: u64,
    },
    Raw {
        status: u16,
        headers: Vec<(String, String)>,
        body: Arc<[u8]>,
    },
}

#[derive(Clone)]
enum Special {
    Trickle(usize),
    CloseMidBody,
    Endless,
    GzipBomb(Arc<[u8]>),
    Redirect(u16, String),
    Delay(u64),
}

#[derive(Default)]
struct PathStats {
    hits: Hits,
    requests: Vec<Vec<(String, String)>>,
}

impl State {
    fn record_hit(&mut self, key: &str, status: u16) {
        let hits = &mut self.stats.entry(key.to_string()).or_default().hits;
        match status {
            200 => hits.ok += 1,
            304 => hits.not_modified += 1,
            _ => hits.other += 1,
        }
    }

    /// The response the path's content gives to `req`, ignoring behaviours.
    fn normal_response(&self, key: &str, req: &Request) -> Resp {
        match self.routes.get(key).and_then(|r| r.content.as_ref()) {
            None => Resp::simple(404, "text/plain", &b"not found\n"[..]),
            Some(Content::Raw {
                status,
                headers,
                body,
            }) => Resp {
                status: *status,
                headers: headers.clone(),
                body: Arc::clone(body),
            },
            Some(Content::Feed {
                body,
                content_type,
                etag,
                last_modified,
            }) => {
                let validators = vec![
                    ("ETag".to_string(), etag.clone()),
                    ("Last-Modified".to_string(), http_date(*last_modified)),
                ];
                if not_modified(req, etag, *last_modified) {
                    Resp {
                        status: 304,
                        headers: validators,
                        body: Arc::from(&[][..]),
                    }
                } else {
                    let mut headers = vec![("Content-Type".to_string(), content_type.clone())];
                    headers.extend(validators);
                    Resp {
                        status: 200,
                        headers,
                        body: Arc::clone(body),
                    }
                }
            }
        }
    }

    fn feed_content_type(&self, key: &str) -> String {
        match self.routes.get(key).and_then(|r| r.content.as_ref()) {
            Some(Content::Feed { content_type, .. }) => content_type.clone(),
            _ => "application/rss+xml".to_string(),
        }
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panicking test thread must not wedge the server: ignore poisoning.
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// A request path as used for keys: with a leading `/`.
fn norm(path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    }
}

fn etag_for(body: &[u8]) -> String {
    let mut h = DefaultHasher::new();
    body.hash(&mut h);
    format!("\"{:016x}-{:x}\"", h.finish(), body.len())
}

fn not_modified(req: &Request, etag: &str, last_modified: u64) -> bool {
    if let Some(inm) = req.header("if-none-match") {
        // If-None-Match takes precedence over If-Modified-Since (RFC 9110 13.2.2); weak comparison.
        let ours = etag.trim_start_matches("W/");
        return inm
            .split(',')
            .map(str::trim)
            .any(|t| t == "*" || (!t.is_empty() && t.trim_start_matches("W/") == ours));
    }
    if let Some(ims) = req.header("if-modified-since")
        && let Some(t) = parse_http_date(ims)
    {
        return last_modified <= t;
    }
    false
}

// ---------------------------------------------------------------------------------------------
// Connection handling

struct Request {
    method: String,
    target: String,
    keep_alive: bool,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Arc<[u8]>,
}

impl Resp {
    fn simple(status: u16, content_type: &str, body: &[u8]) -> Resp {
        Resp {
            status,
            headers: vec![("Content-Type".to_string(), content_type.to_string())],
            body: Arc::from(body),
        }
    }
}

enum Plan {
    Full(Resp),
    Trickle(Resp, usize),
    CloseMidBody(Resp),
    Endless,
    Delay(u64),
}

async fn handle_connection(stream: TcpStream, state: Arc<Mutex<State>>) {
    let _ = stream.set_nodelay(true);
    let mut conn = BufReader::new(stream);
    loop {
        let req = match read_request(&mut conn).await {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(status) => {
                let resp = Resp::simple(status, "text/plain", b"bad request\n");
                let _ = write_full(&mut conn, &resp, false, false).await;
                return;
            }
        };
        let head_only = req.method == "HEAD";
        if req.method != "GET" && !head_only {
            let mut resp = Resp::simple(405, "text/plain", b"method not allowed\n");
            resp.headers
                .push(("Allow".to_string(), "GET, HEAD".to_string()));
            {
                let mut st = lock(&state);
                let key = st.route_key(&req.target);
                st.stats
                    .entry(key.clone())
                    .or_default()
                    .requests
                    .push(req.headers.clone());
                st.record_hit(&key, 405);
            }
            let _ = write_full(&mut conn, &resp, false, false).await;
            return;
        }

        let (key, plan) = {
            let mut st = lock(&state);
            let key = st.route_key(&req.target);
            st.stats
                .entry(key.clone())
                .or_default()
                .requests
                .push(req.headers.clone());
            let special = st.routes.get(&key).and_then(|r| r.behaviour.clone());
            let plan = match special {
                None => Plan::Full(st.normal_response(&key, &req)),
                Some(Special::Delay(ms)) => Plan::Delay(ms),
                Some(Special::Redirect(status, location)) => Plan::Full(Resp {
                    status,
                    headers: vec![("Location".to_string(), location)],
                    body: Arc::from(&[][..]),
                }),
                Some(Special::GzipBomb(bytes)) => Plan::Full(Resp {
                    status: 200,
                    headers: vec![
                        ("Content-Type".to_string(), st.feed_content_type(&key)),
                        ("Content-Encoding".to_string(), "gzip".to_string()),
                    ],
                    body: bytes,
                }),
                Some(Special::Endless) => Plan::Endless,
                Some(Special::Trickle(bps)) => Plan::Trickle(st.body_or_filler(&key, &req), bps),
                Some(Special::CloseMidBody) => Plan::CloseMidBody(st.body_or_filler(&key, &req)),
            };
            match &plan {
                Plan::Full(r) | Plan::Trickle(r, _) | Plan::CloseMidBody(r) => {
                    st.record_hit(&key, r.status)
                }
                Plan::Endless => st.record_hit(&key, 200),
                Plan::Delay(_) => {}
            }
            (key, plan)
        };

        let keep_alive = req.keep_alive;
        let outcome = match plan {
            Plan::Full(resp) => write_full(&mut conn, &resp, head_only, keep_alive).await,
            Plan::Delay(ms) => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                let resp = {
                    let mut st = lock(&state);
                    let resp = st.normal_response(&key, &req);
                    st.record_hit(&key, resp.status);
                    resp
                };
                write_full(&mut conn, &resp, head_only, keep_alive).await
            }
            Plan::Trickle(resp, bps) => {
                let _ = trickle(&mut conn, &resp, head_only, bps).await;
                return;
            }
            Plan::CloseMidBody(resp) => {
                let _ = close_mid_body(&mut conn, &resp, head_only).await;
                return;
            }
            Plan::Endless => {
                let _ = endless(&mut conn, head_only).await;
                return;
            }
        };
        if outcome.is_err() || !keep_alive {
            return;
        }
    }
}

impl State {
    /// Which key a request target routes to: exact target if registered, else target without query.
    fn route_key(&self, target: &str) -> String {
        if self.routes.contains_key(target) {
            return target.to_string();
        }
        match target.split_once('?') {
            Some((path, _)) => path.to_string(),
            None => target.to_string(),
        }
    }

    fn body_or_filler(&self, key: &str, req: &Request) -> Resp {
        if self.routes.get(key).is_some_and(|r| r.content.is_some()) {
            self.normal_response(key, req)
        } else {
            Resp::simple(200, "application/rss+xml", &filler_rss())
        }
    }
}

/// Read one request head. `Ok(None)` on clean EOF before a request; `Err(status)` on garbage.
async fn read_request(conn: &mut BufReader<TcpStream>) -> Result<Option<Request>, u16> {
    let mut total = 0usize;
    let mut line = Vec::new();
    // Request line (skipping stray empty lines between requests, RFC 9112 2.2).
    let request_line = loop {
        line.clear();
        let n = conn
            .read_until(b'\n', &mut line)
            .await
            .map_err(|_| 400u16)?;
        if n == 0 {
            return Ok(None);
        }
        total += n;
        if total > MAX_HEAD_BYTES {
            return Err(431);
        }
        let text = String::from_utf8_lossy(&line).trim().to_string();
        if !text.is_empty() {
            break text;
        }
    };
    let mut parts = request_line.split_whitespace();
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(400);
    };
    let mut headers = Vec::new();
    loop {
        line.clear();
        let n = conn
            .read_until(b'\n', &mut line)
            .await
            .map_err(|_| 400u16)?;
        if n == 0 {
            return Err(400);
        }
        total += n;
        if total > MAX_HEAD_BYTES {
            return Err(431);
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            break;
        }
        let Some((name, value)) = text.split_once(':') else {
            return Err(400);
        };
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let connection = headers
        .iter()
        .filter(|(k, _)| k == "connection")
        .map(|(_, v)| v.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(",");
    let has = |tok: &str| connection.split(',').any(|t| t.trim() == tok);
    let keep_alive = if version == "HTTP/1.0" {
        has("keep-alive")
    } else {
        !has("close")
    };
    // Absolute-form targets (proxy style) are reduced to origin-form.
    let target = match target
        .strip_prefix("http://")
        .or_else(|| target.strip_prefix("https://"))
    {
        Some(rest) => match rest.find('/') {
            Some(i) => rest[i..].to_string(),
            None => "/".to_string(),
        },
        None => target.to_string(),
    };
    Ok(Some(Request {
        method: method.to_string(),
        target,
        keep_alive,
        headers,
    }))
}

fn head_bytes(resp: &Resp, content_length: Option<usize>, extra: &[(&str, &str)]) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nDate: {}\r\n",
        resp.status,
        reason(resp.status),
        http_date(now_secs())
    );
    for (k, v) in &resp.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(len) = content_length {
        head.push_str(&format!("Content-Length: {len}\r\n"));
    }
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

fn bodyless(status: u16) -> bool {
    status < 200 || status == 204 || status == 304
}

async fn write_full(
    conn: &mut BufReader<TcpStream>,
    resp: &Resp,
    head_only: bool,
    keep_alive: bool,
) -> std::io::Result<()> {
    let user_len = resp
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-length"));
    let no_body = bodyless(resp.status);
    let len = (!no_body && !user_len).then_some(resp.body.len());
    let extra: &[(&str, &str)] = if keep_alive {
        &[]
    } else {
        &[("Connection", "close")]
    };
    let mut out = head_bytes(resp, len, extra);
    if !head_only && !no_body {
        out.extend_from_slice(&resp.body);
    }
    let stream = conn.get_mut();
    stream.write_all(&out).await?;
    stream.flush().await
}

async fn trickle(
    conn: &mut BufReader<TcpStream>,
    resp: &Resp,
    head_only: bool,
    bytes_per_sec: usize,
) -> std::io::Result<()> {
    let stream = conn.get_mut();
    let head = head_bytes(resp, Some(resp.body.len()), &[("Connection", "close")]);
    stream.write_all(&head).await?;
    stream.flush().await?;
    if head_only {
        return Ok(());
    }
    let pause = Duration::from_secs_f64(1.0 / bytes_per_sec as f64);
    for b in resp.body.iter() {
        tokio::time::sleep(pause).await;
        stream.write_all(&[*b]).await?;
        stream.flush().await?;
    }
    Ok(())
}

async fn close_mid_body(
    conn: &mut BufReader<TcpStream>,
    resp: &Resp,
    head_only: bool,
) -> std::io::Result<()> {
    let stream = conn.get_mut();
    let mut out = head_bytes(resp, Some(resp.body.len()), &[("Connection", "close")]);
    if !head_only {
        out.extend_from_slice(&resp.body[..resp.body.len() / 2]);
    }
    stream.write_all(&out).await?;
    stream.flush().await?;
    stream.shutdown().await
}

async fn endless(conn: &mut BufReader<TcpStream>, head_only: bool) -> std::io::Result<()> {
    let stream = conn.get_mut();
    let resp = Resp::simple(200, "application/rss+xml", b"");
    let head = head_bytes(
        &resp,
        None,
        &[("Transfer-Encoding", "chunked"), ("Connection", "close")],
    );
    stream.write_all(&head).await?;
    if head_only {
        return stream.flush().await;
    }
    let first = b"<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>endless</title>\n";
    write_chunk(stream, first).await?;
    let mut n: u64 = 0;
    loop {
        let mut chunk = Vec::with_capacity(16 * 1024);
        while chunk.len() < 16 * 1024 {
            n += 1;
            let _ = writeln!(
                chunk,
                "<item><title>garbage {n}</title><link>http://127.0.0.1/{n}</link></item>"
            );
        }
        write_chunk(stream, &chunk).await?;
    }
}

async fn write_chunk(stream: &mut TcpStream, data: &[u8]) -> std::io::Result<()> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    stream.write_all(&out).await?;
    stream.flush().await
}

/// ~64 KiB of valid RSS, used by Trickle/CloseMidBody when the path has no content.
fn filler_rss() -> Vec<u8> {
    let mut out = Vec::with_capacity(70 * 1024);
    out.extend_from_slice(
        b"<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>filler</title>\n",
    );
    let mut n = 0;
    while out.len() < 64 * 1024 {
        n += 1;
        let _ = writeln!(
            out,
            "<item><title>filler {n}</title><link>http://127.0.0.1/filler/{n}</link></item>"
        );
    }
    out.extend_from_slice(b"</channel></rss>\n");
    out
}

/// gzip (RFC 1952) of `n` zero bytes, maximum compression (~1000:1).
fn gzip_of_zeros(n: usize) -> Vec<u8> {
    use flate2::{Compression, write::GzEncoder};
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    let zeros = vec![0u8; 64 * 1024];
    let mut left = n;
    while left > 0 {
        let k = left.min(zeros.len());
        // Writing into a Vec cannot fail.
        let _ = enc.write_all(&zeros[..k]);
        left -= k;
    }
    enc.finish().unwrap_or_default()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        410 => "Gone",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP dates (IMF-fixdate only), no external crates.

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Unix seconds → `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn http_date(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[((days + 4).rem_euclid(7)) as usize],
        d,
        MONTHS[(m - 1) as usize],
        y,
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` → Unix seconds. Other formats → None.
pub fn parse_http_date(s: &str) -> Option<u64> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [_wd, d, mon, y, hms, "GMT"] = parts.as_slice() else {
        return None;
    };
    let d: u32 = d.parse().ok()?;
    let m = MONTHS.iter().position(|x| x.eq_ignore_ascii_case(mon))? as u32 + 1;
    let y: i64 = y.parse().ok()?;
    let mut t = hms.split(':').map(|x| x.parse::<u64>().ok());
    let (Some(Some(hh)), Some(Some(mm)), Some(Some(ss)), None) =
        (t.next(), t.next(), t.next(), t.next())
    else {
        return None;
    };
    if !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let days = days_from_civil(y, m, d);
    u64::try_from(days * 86_400)
        .ok()
        .map(|b| b + hh * 3600 + mm * 60 + ss)
}

// Howard Hinnant's civil calendar algorithms.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}
