//! Excerpts and explanations for digests: a window of the entry's text around its first
//! distinctive hit, with every distinctive hit inside it highlighted as whole words (escaped
//! HTML with `<mark>`, or «» in plain text; context terms such as places are not), the short
//! "why" (the deciding terms: `Entity List · BIS · chips`) and the full one (rules, terms and
//! their fields, score). Pure; spans are validated, so a stale or odd span can never panic.

use super::text::{esc, one_line};
use crate::model::{DigestItem, StoredHit};
use crate::rules::Topics;

pub struct Excerpt {
    pub text: String,
    pub html: String,
}

/// The excerpt of `item` (at most about `max_chars` characters), highlighting the hits of
/// distinctive terms (not `topics`' context terms).
pub fn excerpt(item: &DigestItem, max_chars: usize, topics: &Topics) -> Excerpt {
    let (field, text) = [("summary", &item.summary), ("content", &item.content)]
        .into_iter()
        .find(|(f, t)| !t.is_empty() && item.hits.iter().any(|h| h.field == *f))
        .or_else(|| {
            [("summary", &item.summary), ("content", &item.content)]
                .into_iter()
                .find(|(_, t)| !t.is_empty())
        })
        .unwrap_or(("summary", &item.summary));
    let mut hits: Vec<&StoredHit> = item
        .hits
        .iter()
        .filter(|h| {
            h.field == field
                && !topics.is_context(&h.term)
                && h.start < h.end
                && h.end <= text.len()
                && text.is_char_boundary(h.start)
                && text.is_char_boundary(h.end)
        })
        .collect();
    hits.sort_by_key(|h| (h.start, h.end));
    // A prefix term (`licen*`) hits part of a word; highlight the whole word.
    let spans: Vec<(usize, usize)> = hits
        .iter()
        .map(|h| crate::rules::whole_words(text, h.start, h.end))
        .collect();
    // Window: start ~80 characters before the first hit, at a word boundary when possible.
    let first = spans.first().map(|h| h.0).unwrap_or(0);
    let back: usize = text[..first]
        .chars()
        .rev()
        .take(80)
        .map(char::len_utf8)
        .sum();
    let mut start = first - back;
    if start > 0
        && let Some(sp) = text[start..first].find(' ')
    {
        start += sp + 1;
    }
    let budget: usize = text[start..]
        .chars()
        .take(max_chars)
        .map(char::len_utf8)
        .sum();
    let mut end = text.floor_char_boundary(start + budget);
    if end < text.len()
        && let Some(sp) = text[start..end].rfind(' ').filter(|&sp| sp > budget / 2)
    {
        end = start + sp;
    }
    let (mut t, mut h) = (String::new(), String::new());
    if start > 0 {
        t.push('…');
        h.push('…');
    }
    let mut pos = start;
    for &(hs, he) in spans.iter().filter(|(s, e)| *s >= start && *e <= end) {
        if hs < pos {
            continue; // overlapping hit already highlighted
        }
        t.push_str(&text[pos..hs]);
        h.push_str(&esc(&text[pos..hs]));
        t.push('«');
        t.push_str(&text[hs..he]);
        t.push('»');
        h.push_str("<mark style=\"background:#fde68a;color:#202124;padding:0 1px\">");
        h.push_str(&esc(&text[hs..he]));
        h.push_str("</mark>");
        pos = he;
    }
    t.push_str(&text[pos..end]);
    h.push_str(&esc(&text[pos..end]));
    if end < text.len() {
        t.push('…');
        h.push('…');
    }
    Excerpt { text: t, html: h }
}

/// A term as a reader says it: `=BIS` → `BIS`, `licen*` → `licen…`, `"a b"` → `a b`.
fn spoken(term: &str) -> String {
    let t = term.trim().trim_start_matches('=').trim_matches('"');
    match t.strip_suffix('*') {
        Some(p) => format!("{p}…"),
        None => t.to_string(),
    }
}

/// The deciding terms, distinctive ones only, title hits first: "Entity List · BIS · chips".
/// Prefix terms show the word they hit ("licences"), not the prefix.
pub fn short_why(item: &DigestItem, topics: &Topics) -> String {
    let mut hits: Vec<&StoredHit> = item
        .hits
        .iter()
        .filter(|h| !topics.is_context(&h.term))
        .collect();
    // Title hits first, in reading order.
    hits.sort_by_key(|h| (h.field != "title", h.field.clone(), h.start));
    let (mut shown, mut terms): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    for h in hits {
        let term = h.term.to_lowercase();
        if terms.contains(&term) {
            continue;
        }
        terms.push(term);
        let text = match h.field.as_str() {
            "title" => &item.title,
            "summary" => &item.summary,
            "content" => &item.content,
            _ => "",
        };
        let valid = h.start < h.end
            && h.end <= text.len()
            && text.is_char_boundary(h.start)
            && text.is_char_boundary(h.end);
        let word = if valid {
            let (a, b) = crate::rules::whole_words(text, h.start, h.end);
            text[a..b].to_string()
        } else {
            spoken(&h.term)
        };
        let word = one_line(&word, 40);
        let lower = word.to_lowercase();
        let overlaps = |s: &String| {
            let s = s.to_lowercase();
            s.contains(&lower) || lower.contains(&s)
        };
        if !shown.iter().any(overlaps) {
            shown.push(word);
        }
        if shown.len() == 4 {
            break;
        }
    }
    if shown.is_empty() {
        return topics.of(&item.rule);
    }
    shown.join(" · ")
}

/// "rule X; terms: "export controls" (title, summary), H20 (summary); score 6".
pub fn why_line(item: &DigestItem) -> String {
    let mut terms: Vec<(String, Vec<String>)> = Vec::new();
    for h in &item.hits {
        match terms.iter_mut().find(|(t, _)| *t == h.term) {
            Some((_, fields)) => {
                if !fields.contains(&h.field) {
                    fields.push(h.field.clone());
                }
            }
            None => terms.push((h.term.clone(), vec![h.field.clone()])),
        }
    }
    let list: Vec<String> = terms
        .iter()
        .take(12)
        .map(|(t, f)| {
            let shown = one_line(t, 60);
            let q = if shown.contains(' ') {
                format!("\"{shown}\"")
            } else {
                shown
            };
            format!("{q} ({})", f.join(", "))
        })
        .collect();
    let mut s = format!("rule {}", item.rule);
    if item.rules.len() > 1 {
        let others: Vec<&str> = item
            .rules
            .iter()
            .filter(|r| **r != item.rule)
            .map(String::as_str)
            .collect();
        s.push_str(&format!(" (also {})", others.join(", ")));
    }
    if !list.is_empty() {
        s.push_str("; terms: ");
        s.push_str(&list.join(", "));
    }
    let score = if item.score.fract() == 0.0 {
        format!("{:.0}", item.score)
    } else {
        format!("{:.1}", item.score)
    };
    s.push_str(&format!("; score {score}"));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_hits_highlight_the_whole_word() {
        let end = |t: &str, e: usize| crate::rules::whole_words(t, 0, e).1;
        assert_eq!(end("licences apply", 5), 8);
        assert_eq!(end("licence", 7), 7);
        assert_eq!(end("出口管制规则", 6), 6);
    }

    #[test]
    fn trimming_keeps_hits_aligned() {
        let summary = format!("{}export controls{}", "a ".repeat(3000), " b".repeat(3000));
        let start = summary.find("export").unwrap();
        let mut item = DigestItem {
            story_id: crate::model::StoryId(1),
            rule: "r".into(),
            rules: vec!["r".into()],
            score: 1.0,
            hits: vec![StoredHit {
                term: "export controls".into(),
                field: "summary".into(),
                start,
                end: start + 15,
            }],
            title: "t".into(),
            link: None,
            feed_name: "f".into(),
            feed_tags: vec![],
            published: None,
            summary,
            content: "中".repeat(2000),
            also: vec![],
            meta: Vec::new(),
        };
        item.trim_around_hits(1000);
        assert!(item.summary.len() <= 1003 && item.content.len() <= 1000);
        let h = &item.hits[0];
        assert_eq!(&item.summary[h.start..h.end], "export controls");
        assert!(
            excerpt(&item, 100, &Topics::default())
                .text
                .contains("«export controls»")
        );
    }
}
