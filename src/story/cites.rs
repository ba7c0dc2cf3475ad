//! Which Federal Register documents an entry cites, as story keys: its FR citations ("90 FR
//! 36257"), document numbers ("2025-14564", said as "FR Doc." or "document number") and
//! federalregister.gov document addresses; a screening-list change cites the notices its record
//! carries, newest first. The store looks the keys up to let the entry join the document's
//! story. Pure; called by `store::regulatory`.

use crate::model::regulatory::{fr_citation_key, fr_story_key};
use crate::model::{Entry, EntryMeta};

/// Story keys of the documents `e` cites, most specific first, without duplicates. A Federal
/// Register document itself cites nothing (its own key is its story).
pub fn cited_keys(e: &Entry) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    match &e.meta {
        Some(EntryMeta::FederalRegister(_)) => return out,
        Some(EntryMeta::ScreeningChange(c)) => {
            let mut cites = citations_in(&c.record.federal_register_notice);
            cites.reverse();
            return dedup(cites);
        }
        None => {}
    }
    for text in [
        e.link.as_deref().unwrap_or(""),
        &e.title,
        &e.summary,
        &e.content,
    ] {
        scan(text, &mut out);
    }
    dedup(out)
}

/// The FR citations in a text, as story keys, in order ("76 FR 71867; 85 FR 83799" or
/// "66 FR 24266, 77 FR 58006 (no. 182)").
pub fn citations_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    scan(text, &mut out);
    out.retain(|k| k.starts_with("frcite:"));
    dedup(out)
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    v.retain(|k| seen.insert(k.clone()));
    v
}

/// Citations, document numbers and addresses in one text.
fn scan(text: &str, out: &mut Vec<String>) {
    // federalregister.gov/documents/YYYY/MM/DD/NUMBER/… and /public-inspection/NUMBER/…
    for (i, _) in text.match_indices("federalregister.gov/") {
        let rest = &text[i + "federalregister.gov/".len()..];
        let segs: Vec<&str> = rest
            .split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '?' || c == '#')
            .next()
            .unwrap_or("")
            .split('/')
            .collect();
        let number = match segs.as_slice() {
            ["documents", y, _, _, n, ..] if y.len() == 4 => Some(*n),
            ["public-inspection", n, ..] | ["d", n, ..] => Some(*n),
            _ => None,
        };
        if let Some(n) = number.filter(|n| is_document_number(n)) {
            out.push(fr_story_key(n));
        }
    }
    if !text.contains("FR") && !text.contains("document") {
        return;
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    for (k, w) in words.iter().enumerate() {
        let bare = w.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-');
        if bare == "FR" && k > 0 && k + 1 < words.len() {
            let vol = words[k - 1].trim_matches(|c: char| !c.is_ascii_digit());
            let page = words[k + 1].trim_end_matches(|c: char| !c.is_ascii_digit());
            if (1..=3).contains(&vol.len())
                && words[k - 1].ends_with(|c: char| c.is_ascii_digit())
                && let Some(key) = fr_citation_key(&format!("{vol} FR {page}"))
            {
                out.push(key);
            }
        }
        // "FR Doc. 2025-14564", "FR Doc No: 2025-14564", "document number 2025-14564".
        if is_document_number(bare) && k > 0 {
            let before = words[k.saturating_sub(3)..k].join(" ").to_ascii_lowercase();
            if before.contains("fr doc") || before.contains("document number") {
                out.push(fr_story_key(bare));
            }
        }
    }
}

/// "2025-14564": a four-digit year, a dash, five digits.
fn is_document_number(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[5..].iter().all(u8::is_ascii_digit)
        && (b[0] == b'1' || b[0] == b'2')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn news(title: &str, summary: &str, link: &str) -> Entry {
        Entry {
            key: "k".into(),
            title: title.into(),
            link: Some(link.into()),
            canonical_link: None,
            published: None,
            summary: summary.into(),
            content: String::new(),
            link_shared: false,
            outlet: None,
            meta: None,
        }
    }

    #[test]
    fn citations_numbers_and_addresses() {
        let e = news(
            "BIS adds 14 Chinese firms to the Entity List (90 FR 36257)",
            "The rule (FR Doc. 2025-14564) takes effect Friday; see 89 FR 1234, and pages 2024-2025.",
            "https://www.federalregister.gov/documents/2026/10/02/2026-20322/additions-to-the-entity-list",
        );
        assert_eq!(
            cited_keys(&e),
            [
                "fr:2026-20322",
                "frcite:90 FR 36257",
                "fr:2025-14564",
                "frcite:89 FR 1234"
            ]
        );
        let plain = news(
            "Weather in 2025-10000 FR",
            "no citation here",
            "https://x.example/a",
        );
        assert!(cited_keys(&plain).is_empty());
    }
}
