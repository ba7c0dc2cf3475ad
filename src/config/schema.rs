//! Reads a TOML file into its serde structs reporting every syntax and schema problem at once:
//! all syntax errors (toml's recovering parser), then each unknown key, wrong type or missing
//! key in plain words with its `file:line:col` — the offending entry is dropped and decoding
//! retried, so one typo does not hide the next. Used for the config file and rule packs; new
//! tables added to `RawConfig` get the same treatment without code of their own.

use super::ConfigError;
use super::diag::{Report, nearest};
use super::files::locate;
use serde::de::DeserializeOwned;
use std::ops::Range;
use toml::de::{DeTable, DeValue};

/// At most this many schema errors are reported per file (each costs one decoding pass).
const MAX_ERRORS: usize = 50;

/// Decodes `text` as `T`, recording every problem in `report`. Returns what decodes once the
/// offending entries are dropped (so later checks can find more), None after syntax errors.
pub fn decode<T: DeserializeOwned>(path: &str, text: &str, report: &Report) -> Option<T> {
    let (mut table, syntax) = DeTable::parse_recoverable(text);
    if !syntax.is_empty() {
        for e in syntax {
            let at = e.span().map(|s| s.start).unwrap_or(0);
            report.error(ConfigError::Invalid {
                location: locate(path, text, at).2,
                message: format!(
                    "{} — TOML syntax error: {}",
                    e.message().trim_end(),
                    super::diag::syntax_hint(e.message())
                ),
            });
        }
        return None;
    }
    for _ in 0..MAX_ERRORS {
        // What is left after dropping the bad entries is still checked, for more errors.
        match T::deserialize(toml::de::Deserializer::from(table.clone())) {
            Ok(v) => return Some(v),
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let found = remove_at(table.get_mut(), &span, &mut Vec::new());
                report.error(ConfigError::Invalid {
                    location: locate(path, text, span.start).2,
                    message: explain(e.message(), found.as_ref()),
                });
                // Nothing to drop: decoding again would only repeat this error.
                found.as_ref()?;
            }
        }
    }
    None
}

/// The entry an error pointed at, taken out of the table.
struct Found {
    /// Keys (and `[[array]]` element names) leading to it.
    path: Vec<String>,
    /// Whether it is an element of an array of tables (`[[digest]]`) rather than a key.
    element: bool,
    /// Its value, when it was a string (for "write port = 587" hints).
    text: Option<String>,
}

/// Removes the key (or array element) whose key or value spans `span`; returns what it was.
/// The whole tree is searched: a `[table]`'s own span covers only its header.
fn remove_at(t: &mut DeTable<'_>, span: &Range<usize>, path: &mut Vec<String>) -> Option<Found> {
    // An array of one table may share that table's span: then the element is meant.
    let element_hit = |v: &toml::Spanned<DeValue<'_>>| {
        v.get_ref()
            .as_array()
            .is_some_and(|a| a.iter().any(|e| e.span() == *span))
    };
    let hit = t
        .iter()
        .find(|(k, v)| k.span() == *span || (v.span() == *span && !element_hit(v)))
        .map(|(k, _)| k.get_ref().to_string());
    if let Some(k) = hit {
        let v = t.remove(k.as_str())?;
        path.push(k);
        return Some(Found {
            path: path.clone(),
            element: false,
            text: v.get_ref().as_str().map(str::to_string),
        });
    }
    for (k, v) in t.iter_mut() {
        path.push(k.get_ref().to_string());
        let found = match v.get_mut() {
            DeValue::Table(sub) => remove_at(sub, span, path),
            DeValue::Array(items) => remove_in_array(items, span, path),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
        path.pop();
    }
    None
}

fn remove_in_array(
    items: &mut toml::de::DeArray<'_>,
    span: &Range<usize>,
    path: &mut Vec<String>,
) -> Option<Found> {
    if let Some(i) = items.iter().position(|e| e.span() == *span) {
        let name = element_name(items[i].get_ref(), i);
        let text = items[i].get_ref().as_str().map(str::to_string);
        // DeArray has no remove: rebuild it without the element.
        let rest: toml::de::DeArray<'_> = items
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, e)| e.clone())
            .collect();
        *items = rest;
        path.push(name);
        return Some(Found {
            path: path.clone(),
            element: true,
            text,
        });
    }
    for i in 0..items.len() {
        let name = element_name(items[i].get_ref(), i);
        if let Some(DeValue::Table(sub)) = items.get_mut(i).map(|e| e.get_mut()) {
            path.push(name);
            if let Some(f) = remove_at(sub, span, path) {
                return Some(f);
            }
            path.pop();
        }
    }
    None
}

/// `#2 "daily"`: an array element by position and, when it has one, its name.
fn element_name(v: &DeValue<'_>, i: usize) -> String {
    match v
        .as_table()
        .and_then(|t| t.get("name"))
        .and_then(|n| n.get_ref().as_str())
    {
        Some(n) => format!("#{} {n:?}", i + 1),
        None => format!("#{}", i + 1),
    }
}

/// `[feeds]`, `[[digest]] #1 "daily"`, `[[feed]] #2 headers`: the table holding an entry.
fn section(path: &[String]) -> String {
    let keys: Vec<&str> = path.iter().map(String::as_str).collect();
    match keys.as_slice() {
        [] => "the top level".into(),
        [t] => format!("[{t}]"),
        [t, e, rest @ ..] if e.starts_with('#') => {
            let mut s = format!("[[{t}]] {e}");
            for r in rest {
                s.push(' ');
                s.push_str(r);
            }
            s
        }
        [t, rest @ ..] => format!("[{t}.{}]", rest.join(".")),
    }
}

/// Text between the first pair of backticks after `from`.
fn ticked(s: &str) -> Option<&str> {
    let a = s.find('`')? + 1;
    let b = s[a..].find('`')? + a;
    Some(&s[a..b])
}

/// serde's message in plain words, with a hint.
fn explain(message: &str, found: Option<&Found>) -> String {
    let message = message.trim_end();
    let (path, element) = match found {
        Some(f) => (f.path.as_slice(), f.element),
        None => (&[][..], false),
    };
    let (container, key) = match path.split_last() {
        Some((k, rest)) if !element => (section(rest), k.as_str()),
        _ => (section(path), ""),
    };
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let name = ticked(rest).unwrap_or(key);
        let expected: Vec<&str> = rest
            .split_once("expected")
            .map(|(_, list)| list.split('`').skip(1).step_by(2).collect())
            .unwrap_or_default();
        let what = if path.len() == 1 {
            format!("unknown table or key `{name}`")
        } else {
            format!("unknown key `{name}` in {container}")
        };
        return match nearest(name, expected.iter().copied()) {
            Some(n) => format!("{what} — did you mean `{n}`?"),
            None if expected.is_empty() => format!("{what} — this table takes no keys"),
            None => format!("{what} — known keys: {}", expected.join(", ")),
        };
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let name = ticked(rest).unwrap_or("?");
        let at = if path.is_empty() {
            "the file".to_string()
        } else if element {
            section(path)
        } else {
            format!("[{}]", path.join("."))
        };
        return format!("{at} is missing `{name}` — add `{name} = …`");
    }
    for (prefix, is_type) in [("invalid type: ", true), ("invalid value: ", false)] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((got, expected)) = rest.rsplit_once(", expected ")
        {
            let text = found.and_then(|f| f.text.as_deref());
            return type_error(key, &container, got, expected, text, is_type);
        }
    }
    match key {
        "" => message.to_string(),
        k => format!("{container} `{k}`: {message}"),
    }
}

/// "port must be a number, e.g. port = 587 (without quotes)".
fn type_error(
    key: &str,
    container: &str,
    got: &str,
    expected: &str,
    text: Option<&str>,
    is_type: bool,
) -> String {
    let plain = plain_type(expected);
    let name = if key.is_empty() {
        format!("each item of {container}")
    } else {
        format!("`{key}` in {container}")
    };
    let hint = match (plain, text) {
        ("a whole number" | "a number", Some(s)) if s.trim().parse::<f64>().is_ok() => {
            format!("write {key} = {} (without quotes)", s.trim())
        }
        ("true or false", Some(s)) if matches!(s.trim(), "true" | "false") => {
            format!("write {key} = {} (without quotes)", s.trim())
        }
        ("true or false", _) => format!("write {key} = true or {key} = false"),
        ("text in quotes", None) if got.starts_with("integer") && is_duration(key) => {
            format!(
                "write {key} = \"{}s\" (a duration in quotes: \"30s\", \"5m\", \"1h\")",
                ticked(got).unwrap_or("30")
            )
        }
        ("text in quotes", None) if got.starts_with("integer") || got.starts_with("float") => {
            format!("write {key} = \"{}\"", ticked(got).unwrap_or("…"))
        }
        ("a list", Some(s)) => format!("write {key} = [{s:?}]"),
        ("a whole number", _) if key == "port" => "e.g. port = 587".into(),
        ("a whole number", _) => format!("e.g. {key} = 10"),
        ("text in quotes", _) => format!("e.g. {key} = \"…\""),
        _ => format!("found {got}"),
    };
    if is_type {
        format!("{name} must be {plain}, not {got} — {hint}")
    } else if expected.starts_with('u') && plain == "a whole number" {
        let range = match expected {
            "u8" => "0 to 255",
            "u16" => "0 to 65535",
            "u32" => "0 to 4294967295",
            _ => "0 or more",
        };
        format!("{name} must be a whole number from {range}, not {got}")
    } else {
        format!("{name}: {got} is not {plain}")
    }
}

/// Keys whose string value is a duration ("30s", "5m"): a bare number gets a duration hint.
fn is_duration(key: &str) -> bool {
    ["interval", "timeout", "after", "age", "backfill"]
        .iter()
        .any(|w| key.contains(w))
}

fn plain_type(expected: &str) -> &'static str {
    let e = expected.trim();
    if matches!(
        e,
        "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize"
    ) || e.contains("integer")
    {
        "a whole number"
    } else if matches!(e, "f32" | "f64") || e.contains("float") {
        "a number"
    } else if e.contains("bool") {
        "true or false"
    } else if e.contains("string") || e.contains("char") {
        "text in quotes"
    } else if e.contains("sequence") || e.contains("array") {
        "a list"
    } else if e.contains("map") || e.contains("struct") || e.contains("table") {
        "a table"
    } else {
        "of another type"
    }
}
