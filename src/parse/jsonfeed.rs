//! JSON documents feed-rs refuses, mended before it sees them: a JSON Feed whose `version` is
//! `http://jsonfeed.org/version/1` (as many 1.0 feeds still say) or missing, a document cut off
//! mid-way (kept up to its last complete object), and RSS-in-JSON (`{"rss": {"channel":
//! {"item": [...]}}}`, Scripting News) rewritten as JSON Feed. Each fix is reported by name.
//! Called by [`super::parse_feed`]. Pure.

use serde_json::{Map, Value, json};

const VERSION: &str = "https://jsonfeed.org/version/1.1";

/// Whether the document is JSON rather than XML (judged from its first byte).
pub fn is_json(b: &[u8]) -> bool {
    b.iter()
        .find(|c| !c.is_ascii_whitespace())
        .is_some_and(|&c| c == b'{')
}

/// The mended document and what was done, or None when there is nothing to mend (or the
/// document is beyond repair: feed-rs then reports the error).
pub fn mend(b: &[u8]) -> Option<(Vec<u8>, Vec<&'static str>)> {
    let mut notes = Vec::new();
    let mut v: Value = match serde_json::from_slice(b) {
        Ok(v) => v,
        Err(_) => {
            let v = close_truncated(b)?;
            notes.push("truncated JSON closed after its last complete object");
            v
        }
    };
    let obj = v.as_object_mut()?;
    if let Some(channel) = obj
        .get("rss")
        .and_then(|r| r.get("channel"))
        .and_then(Value::as_object)
    {
        let converted = from_rss_json(channel);
        notes.push("RSS-in-JSON read as JSON Feed");
        return serde_json::to_vec(&converted).ok().map(|b| (b, notes));
    }
    let version = obj.get("version").and_then(Value::as_str).unwrap_or("");
    if !version.starts_with("https://jsonfeed.org/version/1") {
        if !(obj.contains_key("items") || version.contains("jsonfeed.org")) {
            return None;
        }
        notes.push(if version.is_empty() {
            "JSON Feed version added"
        } else {
            "JSON Feed version read as https"
        });
        obj.insert("version".into(), Value::String(VERSION.into()));
    }
    if notes.is_empty() {
        return None;
    }
    serde_json::to_vec(&v).ok().map(|b| (b, notes))
}

/// Cuts a truncated document after the last `}` that closes an object and closes whatever is
/// still open there. One pass records the open brackets at each such `}` (the last few only).
fn close_truncated(b: &[u8]) -> Option<Value> {
    let mut stack: Vec<u8> = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut cuts: std::collections::VecDeque<(usize, Vec<u8>)> = Default::default();
    for (i, &c) in b.iter().enumerate() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_string = true,
            b'{' => stack.push(b'}'),
            b'[' => stack.push(b']'),
            b'}' | b']' => {
                stack.pop();
                if c == b'}' && !stack.is_empty() {
                    if cuts.len() == 16 {
                        cuts.pop_front();
                    }
                    cuts.push_back((i + 1, stack.clone()));
                }
            }
            _ => {}
        }
    }
    for (end, open) in cuts.iter().rev() {
        let mut doc = b[..*end].to_vec();
        doc.extend(open.iter().rev());
        if let Ok(v) = serde_json::from_slice::<Value>(&doc) {
            return Some(v);
        }
    }
    None
}

fn text<'a>(o: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    match o.get(k)? {
        Value::String(s) => Some(s),
        // RSS-in-JSON writes an element with attributes as an object with a "#value".
        Value::Object(m) => m.get("#value").and_then(Value::as_str),
        _ => None,
    }
}

fn from_rss_json(channel: &Map<String, Value>) -> Value {
    let items: Vec<&Value> = match channel.get("item") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => Vec::new(),
    };
    let items: Vec<Value> = items
        .into_iter()
        .filter_map(Value::as_object)
        .map(|i| {
            let mut out = Map::new();
            let link = text(i, "link");
            let guid = text(i, "guid").or(link);
            let mut put = |k: &str, v: Option<&str>| {
                if let Some(v) = v {
                    out.insert(k.into(), Value::String(v.to_string()));
                }
            };
            put("id", guid);
            put("url", link);
            put("title", text(i, "title"));
            put("content_html", text(i, "description"));
            put("date_published", text(i, "pubDate"));
            Value::Object(out)
        })
        .collect();
    json!({
        "version": VERSION,
        "title": text(channel, "title").unwrap_or(""),
        "home_page_url": text(channel, "link"),
        "items": items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mended(s: &str) -> (Value, Vec<&'static str>) {
        let (b, n) = mend(s.as_bytes()).unwrap();
        (serde_json::from_slice(&b).unwrap(), n)
    }

    #[test]
    fn versions() {
        let (v, n) = mended(r#"{"version":"http://jsonfeed.org/version/1","items":[]}"#);
        assert_eq!(v["version"], VERSION);
        assert_eq!(n, ["JSON Feed version read as https"]);
        let (v, _) = mended(r#"{"title":"x","items":[{"id":"1"}]}"#);
        assert_eq!(v["version"], VERSION);
        assert!(mend(br#"{"version":"https://jsonfeed.org/version/1","items":[]}"#).is_none());
        assert!(mend(br#"{"something":"else"}"#).is_none());
    }

    #[test]
    fn truncated_and_rss_in_json() {
        let (v, _) = mended(
            r#"{"version":"https://jsonfeed.org/version/1","items":[{"id":"1","title":"a"},{"id":"2","title":"cut"#,
        );
        assert_eq!(v["items"].as_array().map(Vec::len), Some(1));
        let (v, n) = mended(
            r##"{"rss":{"version":"2.0","channel":{"title":"S","item":[{"description":"d","pubDate":"Sun, 25 Jun 2017 08:06:31 GMT","guid":{"#value":"g1"},"link":"http://s.example/1"}]}}}"##,
        );
        assert_eq!(n, ["RSS-in-JSON read as JSON Feed"]);
        assert_eq!(v["items"][0]["id"], "g1");
        assert_eq!(v["items"][0]["url"], "http://s.example/1");
        assert!(!is_json(b"  <rss/>") && is_json(b"\n{"));
    }
}
