//! Loopback SMTP server for integration tests (owned by the test-server helper; edit with care).
//!
//! The SMTP conversation is done by a real `mailin-embedded` server (plain SMTP, no TLS, no AUTH)
//! listening on a private 127.0.0.1 port. Clients connect to `port()`, a small TCP relay in front
//! of it, running on its own thread + tokio runtime. The relay exists for two reasons:
//! * `DropAfterData` cannot be expressed with mailin's `Handler` API (every response is written
//!   before mailin closes). The handler answers end-of-DATA with a private marker reply and the
//!   relay swallows that reply and closes the client connection instead — the client sees EOF
//!   where it expected the final reply.
//! * mailin's `serve()` never returns. Dropping `SmtpServer` stops the relay (listener closed, all
//!   client connections closed); the mailin thread stays blocked in `accept` on its private port
//!   until the test process exits (harmless leak, one thread + one socket per server).
//!
//! Semantics:
//! * `messages()` = messages answered with 250 at end of DATA, in completion order. A message is
//!   recorded *before* the 250 is sent, so once the client has its 250 it is visible here.
//! * `RejectRecipient(addr)`: `550` to `RCPT TO` for that address (case-insensitive, `<>` ignored),
//!   250 for the others. Note lettre aborts the whole send if any RCPT is rejected.
//! * `TempFailData`: `451` at end of DATA, nothing recorded, and the server then closes the
//!   connection. (mailin stays in its DATA state after a 4xx at end of DATA, so keeping the
//!   connection open would swallow the client's RSET/QUIT as message text and hang it.)
//! * `DropAfterData`: the whole message is received, then the connection is closed with no reply.
//!   Such messages are not in `messages()`; they are in `dropped()`.
//! * The mode is read at each RCPT / end of DATA, so `set_mode` affects open connections too.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mailin_embedded::response::{INTERNAL_ERROR, NO_MAILBOX, OK};
use mailin_embedded::{Action, Handler, Response, Server};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

/// Private reply text the handler uses to ask the relay to drop the connection.
const DROP_MARKER: &str = "chipwatch-testsrv drop-after-data";

/// One message as received.
#[derive(Clone, Debug, PartialEq)]
pub struct Received {
    /// MAIL FROM reverse path (without `<>`).
    pub from: String,
    /// Accepted RCPT TO forward paths (without `<>`), in order.
    pub to: Vec<String>,
    /// Raw RFC 5322 message as transmitted (CRLF line endings, dot-unstuffed, without the final `.`).
    pub data: Vec<u8>,
}

impl Received {
    /// `data` as (lossy) UTF-8.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

/// How the server reacts; see module docs.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum SmtpMode {
    #[default]
    Accept,
    /// 550 for this recipient, accept the others.
    RejectRecipient(String),
    /// 451 at end of DATA (then the server closes the connection).
    TempFailData,
    /// Close the connection without replying after the end of DATA.
    DropAfterData,
}

#[derive(Default)]
struct Shared {
    mode: SmtpMode,
    messages: Vec<Received>,
    dropped: Vec<Received>,
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// Handle to a running loopback SMTP server.
pub struct SmtpServer {
    addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl SmtpServer {
    /// Start mailin on a private 127.0.0.1 port and the relay on another free 127.0.0.1 port.
    #[allow(clippy::expect_used)]
    pub fn start() -> SmtpServer {
        let shared = Arc::new(Mutex::new(Shared::default()));

        // Backend: mailin on a listener we bound ourselves (no port race).
        let backend = std::net::TcpListener::bind("127.0.0.1:0").expect("SmtpServer: bind backend");
        let backend_addr = backend.local_addr().expect("SmtpServer: backend addr");
        let handler = MailHandler {
            shared: Arc::clone(&shared),
            from: String::new(),
            to: Vec::new(),
            data: Vec::new(),
        };
        std::thread::Builder::new()
            .name(format!("smtp-mailin-{}", backend_addr.port()))
            .spawn(move || {
                // mailin's error type is !Send: build and run the server entirely on this thread.
                let mut server = Server::new(handler);
                server
                    .with_name("chipwatch-test.localhost")
                    .with_num_threads(32)
                    .with_tcp_listener(backend);
                if let Err(e) = server.serve() {
                    eprintln!("SmtpServer: mailin stopped: {e}");
                }
            })
            .expect("SmtpServer: spawn mailin thread");

        // Front: relay.
        let front = std::net::TcpListener::bind("127.0.0.1:0").expect("SmtpServer: bind front");
        front
            .set_nonblocking(true)
            .expect("SmtpServer: set_nonblocking");
        let addr = front.local_addr().expect("SmtpServer: front addr");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("SmtpServer: build tokio runtime");
        let (tx, rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("smtp-relay-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(front) {
                        Ok(l) => l,
                        Err(e) => {
                            eprintln!("SmtpServer: cannot register listener: {e}");
                            return;
                        }
                    };
                    let accept_loop = async {
                        loop {
                            match listener.accept().await {
                                Ok((client, _)) => {
                                    tokio::spawn(relay(client, backend_addr));
                                }
                                Err(e) => {
                                    eprintln!("SmtpServer: accept failed: {e}");
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
                drop(runtime);
            })
            .expect("SmtpServer: spawn relay thread");

        SmtpServer {
            addr,
            shared,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Messages accepted with 250 so far.
    pub fn messages(&self) -> Vec<Received> {
        lock(&self.shared).messages.clone()
    }

    /// Messages fully received in `DropAfterData` mode (client never got a reply).
    pub fn dropped(&self) -> Vec<Received> {
        lock(&self.shared).dropped.clone()
    }

    pub fn set_mode(&self, m: SmtpMode) {
        lock(&self.shared).mode = m;
    }

    /// Poll (every 10 ms) until at least `n` messages were accepted or `timeout` passes;
    /// returns `messages()` either way.
    pub fn wait_for_messages(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let msgs = self.messages();
            if msgs.len() >= n || Instant::now() >= deadline {
                return msgs;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for SmtpServer {
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
// mailin handler (cloned per connection)

#[derive(Clone)]
struct MailHandler {
    shared: Arc<Mutex<Shared>>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

fn bare(addr: &str) -> String {
    addr.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

impl Handler for MailHandler {
    fn mail(&mut self, _ip: std::net::IpAddr, _domain: &str, from: &str) -> Response {
        self.from = bare(from);
        self.to.clear();
        self.data.clear();
        OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        if let SmtpMode::RejectRecipient(bad) = &lock(&self.shared).mode
            && bare(bad).eq_ignore_ascii_case(&bare(to))
        {
            return NO_MAILBOX;
        }
        OK
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        // `to` holds the accepted recipients only.
        self.from = bare(from);
        self.to = to.iter().map(|t| bare(t)).collect();
        self.data.clear();
        OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let msg = Received {
            from: std::mem::take(&mut self.from),
            to: std::mem::take(&mut self.to),
            data: std::mem::take(&mut self.data),
        };
        let mut shared = lock(&self.shared);
        match shared.mode {
            SmtpMode::Accept | SmtpMode::RejectRecipient(_) => {
                shared.messages.push(msg);
                OK
            }
            SmtpMode::TempFailData => {
                let mut r = INTERNAL_ERROR; // 451
                r.action = Action::Close;
                r
            }
            SmtpMode::DropAfterData => {
                shared.dropped.push(msg);
                // 421 => mailin sends it and closes; the relay swallows it (see module docs).
                Response::custom(421, DROP_MARKER.to_string())
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Relay

async fn relay(client: TcpStream, backend_addr: SocketAddr) {
    let Ok(backend) = TcpStream::connect(backend_addr).await else {
        return; // client sees the connection close without a greeting
    };
    let _ = client.set_nodelay(true);
    let _ = backend.set_nodelay(true);
    let (mut client_rd, mut client_wr) = client.into_split();
    let (backend_rd, mut backend_wr) = backend.into_split();

    // client -> server: raw bytes; on client EOF, half-close towards mailin so it ends the session.
    let upstream = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_rd, &mut backend_wr).await;
        let _ = backend_wr.shutdown().await;
    });

    // server -> client: line by line (SMTP replies are CRLF lines), watching for the drop marker.
    let mut backend_rd = BufReader::new(backend_rd);
    let mut line = Vec::new();
    let marker = format!("421 {DROP_MARKER}");
    loop {
        line.clear();
        match backend_rd.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if line.starts_with(marker.as_bytes()) {
            break; // swallow the reply and hang up on the client
        }
        if client_wr.write_all(&line).await.is_err() || client_wr.flush().await.is_err() {
            break;
        }
    }
    upstream.abort();
    // Dropping client_wr shuts down the write side: the client sees EOF now.
    drop(client_wr);
}

/// The `[mail]` and `[smtp]` sections of a chipwatch config that sends to 127.0.0.1:`port`.
pub fn smtp_toml(port: u16) -> String {
    format!(
        "[mail]\nfrom = \"chipwatch <cw@test.example>\"\n[smtp]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\ntimeout = \"5s\"\n"
    )
}
