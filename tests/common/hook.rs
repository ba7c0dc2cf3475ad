//! A loopback webhook receiver for channel tests: reserves a port without listening (so the
//! first deliveries are refused), then answers each request from a script of statuses (500
//! once, 429 with Retry-After, 400 …; 200 when the script is empty) and records every request
//! with its method, path, headers, body and the status it got.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The status this request was answered with.
    pub status: u16,
    pub at: Instant,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

#[derive(Default)]
struct State {
    /// (status, extra headers) for the next requests; 200 when empty.
    script: VecDeque<(u16, Vec<(String, String)>)>,
    received: Vec<Request>,
}

pub struct Hook {
    port: u16,
    state: Arc<Mutex<State>>,
}

impl Hook {
    /// A receiver on a free port that does not listen yet: connections are refused.
    pub fn reserve() -> Hook {
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        Hook {
            port,
            state: Arc::default(),
        }
    }

    /// A receiver already listening.
    pub fn start() -> Hook {
        let h = Hook::reserve();
        h.listen();
        h
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Queues answers for the next requests.
    pub fn script(&self, answers: &[(u16, &[(&str, &str)])]) {
        let mut s = self.state.lock().unwrap();
        for (status, headers) in answers {
            let h = headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            s.script.push_back((*status, h));
        }
    }

    pub fn received(&self) -> Vec<Request> {
        self.state.lock().unwrap().received.clone()
    }

    /// Starts accepting connections on the reserved port.
    pub fn listen(&self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).expect("bind reserved port");
        let state = self.state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let state = state.clone();
                std::thread::spawn(move || serve(conn, &state));
            }
        });
    }
}

fn serve(conn: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(conn.try_clone().expect("clone"));
    let mut conn = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (
            parts.next().unwrap_or("").to_string(),
            parts.next().unwrap_or("").to_string(),
        );
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let len: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let (status, extra) = {
            let mut s = state.lock().unwrap();
            let answer = s.script.pop_front().unwrap_or((200, Vec::new()));
            s.received.push(Request {
                method,
                path,
                headers,
                body,
                status: answer.0,
                at: Instant::now(),
            });
            answer
        };
        let reply = if status == 200 { "ok" } else { "nope" };
        let mut out = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n",
            reply.len()
        );
        for (k, v) in extra {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str("\r\n");
        out.push_str(reply);
        if conn.write_all(out.as_bytes()).is_err() {
            return;
        }
    }
}
