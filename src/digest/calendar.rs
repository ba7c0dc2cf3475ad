//! Deadlines as an iCalendar file (RFC 5545): one all-day VEVENT per effective date and per
//! comment deadline of each Federal Register document, with a UID stable per document and
//! kind of date, so a calendar application that imports a later digest updates the event
//! rather than adding a copy. Pure; used by the digest's regulatory section and
//! `chipwatch deadlines --ics`.

use crate::model::regulatory::FrDoc;
use chrono::{DateTime, NaiveDate, Utc};

/// One date of a document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Deadline {
    /// YYYY-MM-DD.
    pub date: String,
    /// "effective" or "comments_close".
    pub kind: &'static str,
    pub document_number: String,
    pub title: String,
    pub type_label: String,
    pub citation: Option<String>,
    pub url: Option<String>,
    pub source: String,
}

impl Deadline {
    /// "Effective" / "Comments close".
    pub fn label(&self) -> &'static str {
        match self.kind {
            "effective" => "Effective",
            _ => "Comments close",
        }
    }
}

/// The dates of one document (effective date, comment deadline), in that order.
pub fn deadlines_of(doc: &FrDoc, title: &str, source: &str) -> Vec<Deadline> {
    [
        ("effective", &doc.effective_on),
        ("comments_close", &doc.comments_close_on),
    ]
    .into_iter()
    .filter_map(|(kind, d)| {
        let date = d.clone()?;
        NaiveDate::parse_from_str(&date, "%Y-%m-%d").ok()?;
        Some(Deadline {
            date,
            kind,
            document_number: doc.document_number.clone(),
            title: title.to_string(),
            type_label: doc.type_label().to_string(),
            citation: doc.citation.clone(),
            url: doc.html_url.clone(),
            source: source.to_string(),
        })
    })
    .collect()
}

/// A VCALENDAR with one event per deadline; `now` stamps the events (DTSTAMP).
pub fn calendar(deadlines: &[Deadline], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut line = |s: &str| fold(&mut out, s);
    line("BEGIN:VCALENDAR");
    line("VERSION:2.0");
    line("PRODID:-//chipwatch//regulatory deadlines//EN");
    line("CALSCALE:GREGORIAN");
    line("METHOD:PUBLISH");
    line("X-WR-CALNAME:chipwatch deadlines");
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    for d in deadlines {
        let Ok(day) = NaiveDate::parse_from_str(&d.date, "%Y-%m-%d") else {
            continue;
        };
        let next = day.succ_opt().unwrap_or(day);
        line("BEGIN:VEVENT");
        line(&format!(
            "UID:{}-{}@chipwatch.federalregister",
            text(&d.document_number),
            d.kind
        ));
        line(&format!("DTSTAMP:{stamp}"));
        line(&format!("DTSTART;VALUE=DATE:{}", day.format("%Y%m%d")));
        line(&format!("DTEND;VALUE=DATE:{}", next.format("%Y%m%d")));
        line(&format!(
            "SUMMARY:{}",
            text(&format!("{}: {}", d.label(), d.title))
        ));
        let mut desc = format!("{} {}", d.type_label, d.document_number);
        if let Some(c) = &d.citation {
            desc.push_str(&format!(", {c}"));
        }
        desc.push_str(&format!(" ({})", d.source));
        if let Some(u) = &d.url {
            desc.push_str(&format!("\n{u}"));
        }
        line(&format!("DESCRIPTION:{}", text(&desc)));
        if let Some(u) = d
            .url
            .as_deref()
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        {
            line(&format!("URL:{}", u.replace(['\r', '\n'], "")));
        }
        line("TRANSP:TRANSPARENT");
        line("END:VEVENT");
    }
    line("END:VCALENDAR");
    out
}

/// Escapes a TEXT value (RFC 5545 §3.3.11).
fn text(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            ';' => o.push_str("\\;"),
            ',' => o.push_str("\\,"),
            '\n' => o.push_str("\\n"),
            c if c.is_control() => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// Writes a content line folded at 75 octets (never inside a UTF-8 character), CRLF ended.
fn fold(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn events_are_folded_escaped_and_stable() {
        let doc = FrDoc {
            document_number: "2026-20001".into(),
            doc_type: "PRORULE".into(),
            effective_on: Some("2026-10-09".into()),
            comments_close_on: Some("2026-11-30".into()),
            citation: Some("91 FR 50001".into()),
            ..Default::default()
        };
        let title = "Revisions to the Entity List; Export Administration Regulations, Advanced Computing, Semiconductor Manufacturing Items".to_string();
        let ds = deadlines_of(&doc, &title, "BIS rules");
        assert_eq!(ds.len(), 2);
        let now = Utc.with_ymd_and_hms(2026, 10, 2, 8, 0, 0).unwrap();
        let cal = calendar(&ds, now);
        assert!(cal.lines().all(|l| l.len() <= 76), "{cal}");
        assert!(cal.contains("UID:2026-20001-effective@chipwatch.federalregister\r\n"));
        assert!(cal.contains("DTSTART;VALUE=DATE:20261130\r\nDTEND;VALUE=DATE:20261201"));
        assert!(cal.contains("Revisions to the Entity List\\; Export"));
        assert_eq!(cal.matches("BEGIN:VEVENT").count(), 2);
        // The same document later: the same UIDs.
        assert_eq!(
            calendar(&ds, now + chrono::Duration::days(3))
                .matches("@chipwatch")
                .count(),
            2
        );
    }
}
