//! The primary-source sections a digest opens with: **Regulatory actions** (one block per
//! Federal Register document: type label, citation, dates, CFR parts, dockets, links, the
//! outlets that also reported it) and **Screening list changes** (counts by list and country,
//! then each record with the FR citation it carries), in HTML and text, plus the deadlines of
//! the digest's documents for the calendar attachment. Pure functions of the stories' metadata;
//! called by [`super::render`] (one marked hook) — the stories rendered here are not repeated
//! in the rule groups.

use super::calendar::{Deadline, deadlines_of};
use super::text::{esc, one_line, safe_href, slug, wrap};
use crate::model::regulatory::{ChangeKind, FrDoc, ScreeningChange};
use crate::model::{DigestItem, EntryMeta};
use crate::source::screening_diff::{citation_link, countries_of, country_name};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Screening-list records listed one by one; the counts always cover all of them.
const MAX_RECORDS: usize = 200;

/// What the sections add to a digest's first message.
#[derive(Debug, Clone, Default)]
pub struct Lead {
    pub html: String,
    pub text: String,
    /// The stories shown here (claimed with the first part).
    pub story_ids: Vec<crate::model::StoryId>,
    /// The sections with their counts, for the table of contents.
    pub sections: Vec<(String, usize)>,
    /// Every date of the digest's documents, past or future.
    pub deadlines: Vec<Deadline>,
}

/// The document a story is about: its published version when stored, else the
/// public-inspection one.
pub fn document_of(item: &DigestItem) -> Option<&FrDoc> {
    let docs = item.meta.iter().filter_map(|m| match m {
        EntryMeta::FederalRegister(d) => Some(d),
        EntryMeta::ScreeningChange(_) => None,
    });
    let mut best: Option<&FrDoc> = None;
    for d in docs {
        if best.is_none_or(|b| b.public_inspection && !d.public_inspection) {
            best = Some(d);
        }
    }
    best
}

fn changes_of(item: &DigestItem) -> impl Iterator<Item = &ScreeningChange> {
    item.meta.iter().filter_map(|m| match m {
        EntryMeta::ScreeningChange(c) => Some(c),
        EntryMeta::FederalRegister(_) => None,
    })
}

/// Splits the digest's stories: the sections (None when no story is a primary-source one) and
/// the stories left for the rule groups.
pub fn lead(items: &[DigestItem]) -> (Option<Lead>, Vec<&DigestItem>) {
    let mut docs: Vec<(&DigestItem, &FrDoc)> = Vec::new();
    let mut changes: Vec<&ScreeningChange> = Vec::new();
    let mut rest = Vec::new();
    let mut ids = Vec::new();
    for i in items {
        if let Some(d) = document_of(i) {
            docs.push((i, d));
            changes.extend(changes_of(i));
            ids.push(i.story_id);
        } else if i
            .meta
            .iter()
            .any(|m| matches!(m, EntryMeta::ScreeningChange(_)))
        {
            changes.extend(changes_of(i));
            ids.push(i.story_id);
        } else {
            rest.push(i);
        }
    }
    if ids.is_empty() {
        return (None, rest);
    }
    docs.sort_by(|a, b| {
        b.1.publication_date
            .cmp(&a.1.publication_date)
            .then(a.1.document_number.cmp(&b.1.document_number))
    });
    let mut lead = Lead {
        story_ids: ids,
        ..Default::default()
    };
    if !docs.is_empty() {
        heading(&mut lead, "Regulatory actions", docs.len());
        for (item, doc) in &docs {
            document_block(&mut lead, item, doc);
            lead.deadlines
                .extend(deadlines_of(doc, &item.title, &item.feed_name));
        }
    }
    if !changes.is_empty() {
        heading(&mut lead, "Screening list changes", changes.len());
        screening_block(&mut lead, &changes);
    }
    (Some(lead), rest)
}

/// A section heading like the digest's topic headings (anchored for the table of contents).
fn heading(lead: &mut Lead, title: &str, count: usize) {
    lead.sections.push((title.to_string(), count));
    let _ = write!(
        lead.html,
        "<h2 id=\"t-{}\" style=\"margin:24px 0 0;padding-bottom:6px;border-bottom:2px solid #d2e3fc;font-size:16px;font-weight:700;color:#0b57d0\">{}</h2>",
        slug(title),
        esc(title)
    );
    let _ = writeln!(lead.text, "== {title} ==\n");
}

/// "Fri 9 Oct 2026" (a calendar date: the same in every time zone).
fn day(d: &str) -> String {
    NaiveDate::parse_from_str(d, "%Y-%m-%d")
        .map(|d| d.format("%a %-d %b %Y").to_string())
        .unwrap_or_else(|_| d.to_string())
}

/// The facts line of a document: type, citation or inspection status, dates, CFR parts,
/// dockets, RINs.
fn facts(doc: &FrDoc) -> Vec<String> {
    let mut f = vec![doc.type_label().to_string()];
    if doc.public_inspection {
        match &doc.publication_date {
            Some(p) => f.push(format!("on public inspection, to be published {}", day(p))),
            None => f.push("on public inspection".into()),
        }
    } else {
        if let Some(c) = &doc.citation {
            f.push(c.clone());
        }
        if let Some(p) = &doc.publication_date {
            f.push(format!("published {}", day(p)));
        }
    }
    if let Some(e) = &doc.effective_on {
        f.push(format!("effective {}", day(e)));
    }
    if let Some(c) = &doc.comments_close_on {
        f.push(format!("comments close {}", day(c)));
    }
    if !doc.cfr_parts.is_empty() {
        f.push(doc.cfr_parts.join(", "));
    }
    if !doc.docket_ids.is_empty() {
        f.push(doc.docket_ids.join(", "));
    }
    if !doc.rins.is_empty() {
        f.push(format!("RIN {}", doc.rins.join(", ")));
    }
    f.push(format!("FR Doc. {}", doc.document_number));
    f
}

/// What a document's block shows, in HTML and text alike.
struct DocView<'a> {
    story_id: crate::model::StoryId,
    title: String,
    source: String,
    link: Option<String>,
    facts: Vec<String>,
    summary: String,
    pdf: Option<&'a String>,
    /// The news items that cite the document ("also reported by").
    news: Vec<&'a (String, Option<String>)>,
}

fn doc_view<'a>(item: &'a DigestItem, doc: &'a FrDoc) -> DocView<'a> {
    let title = if item.title.trim().is_empty() {
        "(untitled)"
    } else {
        &item.title
    };
    DocView {
        story_id: item.story_id,
        title: one_line(title, 300),
        source: one_line(&item.feed_name, 80),
        link: doc.html_url.clone().or_else(|| item.link.clone()),
        facts: facts(doc),
        summary: one_line(&item.summary, 600),
        pdf: doc.pdf_url.as_ref(),
        news: item
            .also
            .iter()
            .filter(|(n, _)| *n != item.feed_name)
            .collect(),
    }
}

fn document_block(lead: &mut Lead, item: &DigestItem, doc: &FrDoc) {
    let v = doc_view(item, doc);
    doc_html(&mut lead.html, &v);
    doc_text(&mut lead.text, &v);
}

fn doc_html(h: &mut String, v: &DocView) {
    let _ = write!(
        h,
        "<div id=\"s{}\" style=\"padding:14px 0;border-top:1px solid #e3e6ea\">",
        v.story_id
    );
    match safe_href(&v.link) {
        Some(u) => {
            let _ = write!(
                h,
                "<a href=\"{u}\" style=\"font-size:17px;line-height:1.35;font-weight:600;color:#0b57d0;text-decoration:none\">{}</a>",
                esc(&v.title)
            );
        }
        None => {
            let _ = write!(
                h,
                "<span style=\"font-size:17px;font-weight:600\">{}</span>",
                esc(&v.title)
            );
        }
    }
    let facts: Vec<String> = v.facts.iter().map(|f| esc(&one_line(f, 200))).collect();
    let _ = write!(
        h,
        "<div style=\"font-size:12px;color:#5f6368;margin:4px 0 6px\">{} &middot; {}</div>",
        esc(&v.source),
        facts.join(" &middot; ")
    );
    if !v.summary.is_empty() {
        let _ = write!(
            h,
            "<div style=\"font-size:14px;line-height:1.5;color:#202124\">{}</div>",
            esc(&v.summary)
        );
    }
    let mut links = Vec::new();
    if let Some(u) = safe_href(&v.pdf.cloned()) {
        links.push(format!("<a href=\"{u}\" style=\"color:#0b57d0\">PDF</a>"));
    }
    for (n, l) in &v.news {
        links.push(match safe_href(l) {
            Some(u) => format!(
                "<a href=\"{u}\" style=\"color:#0b57d0\">{}</a>",
                esc(&one_line(n, 60))
            ),
            None => esc(&one_line(n, 60)),
        });
    }
    if !links.is_empty() {
        let label = if v.news.is_empty() {
            "Links"
        } else {
            "Links, also reported by"
        };
        let _ = write!(
            h,
            "<div style=\"font-size:12px;color:#5f6368;margin-top:4px\">{label}: {}</div>",
            links.join(" &middot; ")
        );
    }
    h.push_str("</div>");
}

fn doc_text(t: &mut String, v: &DocView) {
    let _ = writeln!(t, "* {}", v.title);
    // Wrapped like the news stories; a fact is never split across lines.
    let facts: Vec<String> = v.facts.iter().map(|f| f.replace(' ', "\u{a0}")).collect();
    let line = format!("{} · {}", v.source, facts.join(" · "));
    for l in wrap(&line, 74) {
        let _ = writeln!(t, "  {}", l.replace('\u{a0}', " "));
    }
    if let Some(l) = &v.link {
        let _ = writeln!(t, "  {}", one_line(l, 2000));
    }
    for l in wrap(&v.summary, 74) {
        let _ = writeln!(t, "  {l}");
    }
    if let Some(p) = v.pdf {
        let _ = writeln!(t, "  PDF: {}", one_line(p, 2000));
    }
    if !v.news.is_empty() {
        let _ = writeln!(t, "  Also reported by:");
        for (n, l) in &v.news {
            let shown = l
                .as_ref()
                .map(|l| format!(" <{}>", one_line(l, 2000)))
                .unwrap_or_default();
            let _ = writeln!(t, "    - {}{shown}", one_line(n, 60));
        }
    }
    t.push('\n');
}

/// "+14 (China 11, Russia 3), −1, 2 changed" for one list.
fn counts_line(changes: &[&ScreeningChange]) -> String {
    let mut parts = Vec::new();
    for (kind, sign) in [
        (ChangeKind::Added, "+"),
        (ChangeKind::Removed, "−"),
        (ChangeKind::Changed, "~"),
    ] {
        let of: Vec<&&ScreeningChange> = changes.iter().filter(|c| c.change == kind).collect();
        if of.is_empty() {
            continue;
        }
        let mut by: BTreeMap<String, usize> = BTreeMap::new();
        for c in &of {
            let country = c
                .record
                .countries
                .first()
                .map(|c| country_name(c).to_string())
                .unwrap_or_else(|| "no country".into());
            *by.entry(country).or_default() += 1;
        }
        let mut by: Vec<(String, usize)> = by.into_iter().collect();
        by.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let by = by
            .iter()
            .map(|(c, n)| format!("{c} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let word = if kind == ChangeKind::Changed {
            " changed"
        } else {
            ""
        };
        parts.push(format!("{sign}{}{word} ({by})", of.len()));
    }
    parts.join(", ")
}

fn screening_block(lead: &mut Lead, changes: &[&ScreeningChange]) {
    let mut by_list: BTreeMap<&str, Vec<&ScreeningChange>> = BTreeMap::new();
    for c in changes {
        by_list.entry(c.record.list.as_str()).or_default().push(c);
    }
    let mut shown = 0;
    for (list, mut cs) in by_list {
        cs.sort_by(|a, b| {
            (a.change as u8, countries_of(&a.record), &a.record.name).cmp(&(
                b.change as u8,
                countries_of(&b.record),
                &b.record.name,
            ))
        });
        let counts = counts_line(&cs);
        let _ = write!(
            lead.html,
            "<div style=\"padding:10px 0 4px;border-top:1px solid #e3e6ea;font-size:15px;font-weight:600\">{}: {}</div><ul style=\"margin:4px 0 8px;padding-left:18px;font-size:13px;line-height:1.5\">",
            esc(list),
            esc(&counts)
        );
        let _ = writeln!(lead.text, "{list}: {counts}");
        for c in cs {
            shown += 1;
            if shown > MAX_RECORDS {
                continue;
            }
            let r = &c.record;
            let sign = match c.change {
                ChangeKind::Added => "+",
                ChangeKind::Removed => "−",
                ChangeKind::Changed => "~",
            };
            let countries = countries_of(r);
            let mut line = format!("{sign} {}", one_line(&r.name, 200));
            if !countries.is_empty() {
                line.push_str(&format!(" ({countries})"));
            }
            if c.change == ChangeKind::Changed {
                line.push_str(&format!(" — changed: {}", c.fields.join(", ")));
            }
            let cite = one_line(&r.federal_register_notice, 120);
            let cite_html = match (citation_link(r), cite.is_empty()) {
                (_, true) => String::new(),
                (Some(u), false) => format!(
                    " — <a href=\"{}\" style=\"color:#0b57d0\">{}</a>",
                    esc(&u),
                    esc(&cite)
                ),
                (None, false) => format!(" — {}", esc(&cite)),
            };
            let _ = write!(lead.html, "<li>{}{cite_html}</li>", esc(&line));
            let cite_text = if cite.is_empty() {
                String::new()
            } else {
                format!(" — {cite}")
            };
            let _ = writeln!(lead.text, "  {line}{cite_text}");
        }
        lead.html.push_str("</ul>");
        lead.text.push('\n');
    }
    if shown > MAX_RECORDS {
        let more = format!(
            "…and {} more records (see the counts above).",
            shown - MAX_RECORDS
        );
        let _ = write!(
            lead.html,
            "<p style=\"font-size:13px;color:#5f6368\">{}</p>",
            esc(&more)
        );
        let _ = writeln!(lead.text, "{more}\n");
    }
}
