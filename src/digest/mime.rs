//! Reading our own rendered messages back: the decoded text and HTML bodies of a
//! multipart/alternative message (quoted-printable or base64), and the other parts (the
//! calendar attachment). Used by `digest preview` and
//! the tests. Pure.

/// Decoded (text, html) bodies of a rendered multipart/alternative message (also when it is
/// nested in a multipart/mixed one that carries attachments).
pub fn split_parts(message: &[u8]) -> (String, String) {
    let mut text = String::new();
    let mut html = String::new();
    for (kind, body) in parts(message) {
        if kind.starts_with("text/plain") {
            text = body;
        } else if kind.starts_with("text/html") {
            html = body;
        }
    }
    (text, html)
}

/// Every leaf part of a rendered message: (content type, lower-cased, with its parameters;
/// decoded body). Nested multiparts are walked through their boundaries.
pub fn parts(message: &[u8]) -> Vec<(String, String)> {
    let s = String::from_utf8_lossy(message);
    let boundaries: Vec<String> = s
        .split("boundary=\"")
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .map(|b| format!("\r\n--{b}"))
        .collect();
    let mut sections: Vec<String> = vec![s.into_owned()];
    for b in &boundaries {
        sections = sections
            .iter()
            .flat_map(|sec| {
                sec.split(b.as_str())
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
    }
    let mut out = Vec::new();
    for section in sections {
        let Some((head, body)) = section.split_once("\r\n\r\n") else {
            continue;
        };
        let lower = head.to_ascii_lowercase();
        let Some(kind) = lower
            .split("content-type: ")
            .nth(1)
            .map(|k| k.split("\r\n").next().unwrap_or("").trim().to_string())
        else {
            continue;
        };
        if kind.starts_with("multipart/") {
            continue;
        }
        let decoded = if lower.contains("content-transfer-encoding: quoted-printable") {
            decode_qp(body)
        } else if lower.contains("content-transfer-encoding: base64") {
            decode_b64(body)
        } else {
            body.to_string()
        };
        out.push((kind, decoded));
    }
    out
}

fn decode_qp(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' {
            if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') {
                i += 3;
                continue;
            }
            if let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).replace("\r\n", "\n")
}

fn decode_b64(s: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes() {
        let Some(v) = A.iter().position(|&x| x == c) else {
            continue;
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    String::from_utf8_lossy(&out).replace("\r\n", "\n")
}
